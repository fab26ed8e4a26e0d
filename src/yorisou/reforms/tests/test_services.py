"""Status reporting workflow, permissions, rollups and series through the services."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

import pytest

from yorisou.core.models import AuditEvent
from yorisou.core.permissions import SYSTEM
from yorisou.reforms import selectors, services
from yorisou.reforms.constants import ReportState, Status
from yorisou.reforms.models import ReminderLog, SeriesPoint, StatusReportEvent
from yorisou.reforms.tests.factories import IndicatorFactory, SeriesFactory

pytestmark = pytest.mark.django_db


def _draft(
    actor: Any, item: Any, period: Any, status: str = Status.ON_PLAN, **kw: Any
) -> Any:
    kw.setdefault("progress", 50)
    return services.status_report_save(
        actor=actor, item=item, period=period, status=status, **kw
    )


def _approve(
    plan: dict[str, Any],
    lead: Any,
    office: Any,
    code: str,
    status: str,
    progress: int,
    period: str = "fy2022",
) -> Any:
    reason = (
        "" if status in (Status.ON_PLAN, Status.DONE) else "国の仕様変更により見直し"
    )
    report = _draft(
        lead,
        plan["items"][code],
        plan[period],
        status,
        progress=progress,
        reason=reason,
    )
    report = services.status_report_submit(actor=lead, report=report)
    return services.status_report_approve(actor=office, report=report)


def test_draft_submit_approve_records_history_and_audit(
    plan, staff_user, lead, office, django_capture_on_commit_callbacks
):
    item = plan["items"]["1-1-2"]  # 高齢福祉課, the clerk's own section
    report = _draft(
        staff_user,
        item,
        plan["fy2022"],
        Status.CHANGED,
        reason="国の標準化に合わせて延期",
        progress=40,
    )
    assert report.state == ReportState.DRAFT
    with django_capture_on_commit_callbacks(execute=True):
        report = services.status_report_submit(actor=lead, report=report)
    assert report.state == ReportState.SUBMITTED
    assert [m.to for m in mail.outbox] == [["office@example.jp"]]
    report = services.status_report_approve(actor=office, report=report, comment="了解")
    assert (report.state, report.approved_status, report.approved_progress) == (
        ReportState.APPROVED,
        Status.CHANGED,
        40,
    )
    events = list(
        StatusReportEvent.objects.filter(report=report).values_list(
            "seq", "action", "from_state", "to_state"
        )
    )
    assert events == [
        (1, "save", "", "draft"),
        (2, "submit", "draft", "submitted"),
        (3, "approve", "submitted", "approved"),
    ]
    actions = list(
        AuditEvent.objects.filter(target_id=str(report.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "reforms.status_report.save",
        "reforms.status_report.submit",
        "reforms.status_report.approve",
    ]


def test_return_needs_a_comment_and_revising_makes_a_draft(
    plan, lead, office, django_capture_on_commit_callbacks
):
    report = services.status_report_submit(
        actor=lead, report=_draft(lead, plan["items"]["1-1-1"], plan["fy2022"])
    )
    with pytest.raises(ValidationError) as error:
        services.status_report_return(actor=office, report=report, comment=" ")
    assert "comment" in error.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        report = services.status_report_return(
            actor=office, report=report, comment="進捗率の根拠を追記してください"
        )
    assert report.state == ReportState.RETURNED
    assert mail.outbox[-1].to == ["lead@example.jp"]
    assert "進捗率の根拠を追記してください" in mail.outbox[-1].body
    revised = _draft(
        lead,
        plan["items"]["1-1-1"],
        plan["fy2022"],
        progress=60,
        version=report.version,
    )
    assert revised.state == ReportState.DRAFT and revised.progress == 60


def test_reason_is_required_except_on_plan_and_done(plan, lead):
    for status in (Status.CHANGED, Status.NOT_STARTED, Status.STOPPED):
        with pytest.raises(ValidationError) as error:
            _draft(lead, plan["items"]["1-1-1"], plan["fy2022"], status, reason="  ")
        assert "reason" in error.value.message_dict
    _draft(lead, plan["items"]["1-1-1"], plan["fy2022"], Status.DONE, progress=100)
    with pytest.raises(ValidationError):
        _draft(lead, plan["items"]["1-1-1"], plan["fy2022"], progress=101)


def test_who_may_draft_submit_and_review(
    plan, staff_user, lead, office, other_lead, make_user, org, citizen
):
    item = plan["items"]["1-1-1"]  # 健康福祉局
    outsider = make_user(
        "staff", org_unit=org["info"], username="outsider"
    )  # 総務局 staff
    for actor in (outsider, other_lead, citizen, office):
        with pytest.raises(PermissionDenied):
            _draft(actor, item, plan["fy2022"])
    report = _draft(staff_user, item, plan["fy2022"])  # same bureau, other section
    for actor in (staff_user, other_lead, office):
        with pytest.raises(PermissionDenied):
            services.status_report_submit(actor=actor, report=report)
    report = services.status_report_submit(actor=lead, report=report)
    for actor in (lead, staff_user, other_lead):
        with pytest.raises(PermissionDenied):
            services.status_report_approve(actor=actor, report=report)
    assert (
        services.status_report_approve(actor=office, report=report).state
        == ReportState.APPROVED
    )


def test_transitions_not_in_the_map_are_refused(plan, lead, office):
    report = _draft(lead, plan["items"]["1-1-1"], plan["fy2022"])
    with pytest.raises(ValidationError):
        services.status_report_approve(actor=office, report=report)  # draft → approved
    with pytest.raises(ValidationError):
        services.status_report_return(actor=office, report=report, comment="x")


def test_double_submit_and_identical_save_change_nothing(plan, lead):
    report = _draft(lead, plan["items"]["1-1-1"], plan["fy2022"], narrative="同じ")
    again = _draft(lead, plan["items"]["1-1-1"], plan["fy2022"], narrative="同じ")
    assert again.version == report.version
    services.status_report_submit(actor=lead, report=report)
    services.status_report_submit(actor=lead, report=report)
    assert StatusReportEvent.objects.filter(report=report).count() == 2


def test_stale_version_is_refused(plan, lead):
    report = _draft(lead, plan["items"]["1-1-1"], plan["fy2022"])
    _draft(
        lead,
        plan["items"]["1-1-1"],
        plan["fy2022"],
        progress=70,
        version=report.version,
    )
    with pytest.raises(ValidationError):
        _draft(
            lead,
            plan["items"]["1-1-1"],
            plan["fy2022"],
            progress=80,
            version=report.version,
        )


def test_closed_period_takes_no_reports(plan, lead):
    plan["fy2022"].is_closed = True
    plan["fy2022"].save()
    with pytest.raises(ValidationError):
        _draft(lead, plan["items"]["1-1-1"], plan["fy2022"])


def test_reopened_approved_report_keeps_counting_as_approved(plan, lead, office):
    report = _approve(plan, lead, office, "1-1-1", Status.ON_PLAN, 80)
    report = services.status_report_reopen(actor=lead, report=report)
    _draft(
        lead,
        plan["items"]["1-1-1"],
        plan["fy2022"],
        Status.CHANGED,
        reason="遅延",
        progress=30,
        version=report.version,
    )
    rollup = selectors.status_rollup(
        actor=lead, plan=plan["plan"], period=plan["fy2022"]
    )
    assert (
        rollup.overall.get(Status.ON_PLAN) == 1
        and rollup.overall.get(Status.CHANGED) == 0
    )


def test_rollups_count_approved_statuses_and_weight_progress(
    plan, lead, office, other_lead
):
    _approve(plan, lead, office, "1-1-1", Status.ON_PLAN, 100)
    _approve(plan, lead, office, "1-1-2", Status.CHANGED, 20)  # weight 3
    _approve(plan, other_lead, office, "1-2-1", Status.ON_PLAN, 60)
    _draft(
        other_lead, plan["items"]["2-1-1"], plan["fy2022"]
    )  # a draft counts as not reported
    rollup = selectors.status_rollup(
        actor=office, plan=plan["plan"], period=plan["fy2022"], with_initiatives=True
    )
    assert rollup.overall.counts[Status.ON_PLAN] == 2
    assert rollup.overall.counts[Status.CHANGED] == 1
    assert (rollup.overall.not_reported, rollup.overall.total) == (1, 4)
    # initiative 1-1: (1×100 + 3×20) / 4 = 40; 1-2: 60; pillar 1 = (40 + 60) / 2 = 50
    by_code = {row.obj.code: row for row in rollup.initiatives.values()}
    assert by_code["1-1"].progress == Decimal(40)
    assert by_code["1-2"].progress == Decimal(60)
    pillars = {row.obj.code: row for row in rollup.pillars}
    assert pillars["1"].progress == Decimal(50)
    assert pillars["2"].progress is None and pillars["2"].counts.not_reported == 1
    assert rollup.progress == Decimal(50)  # pillar 2 has no approved report yet
    bureaus = {row.obj.code: row for row in rollup.bureaus}
    assert bureaus["35"].progress == Decimal(40)
    assert (
        bureaus["20"].counts.get(Status.ON_PLAN),
        bureaus["20"].counts.not_reported,
    ) == (1, 1)
    assert [row.obj.code for row in rollup.stages] == ["3"]
    # another period knows nothing of these
    # the same figures in SQL (the dashboard's way, without initiative rows)
    fast = selectors.status_rollup(
        actor=office, plan=plan["plan"], period=plan["fy2022"]
    )
    assert fast.progress == rollup.progress
    assert [
        (r.obj.code, r.progress, r.counts.counts, r.counts.not_reported)
        for r in fast.pillars
    ] == [
        (r.obj.code, r.progress, r.counts.counts, r.counts.not_reported)
        for r in rollup.pillars
    ]
    # the same figures in SQL (the dashboard's way, without initiative rows)
    fast = selectors.status_rollup(
        actor=office, plan=plan["plan"], period=plan["fy2022"]
    )
    assert fast.progress == rollup.progress
    assert [
        (r.obj.code, r.progress, r.counts.counts, r.counts.not_reported)
        for r in fast.pillars
    ] == [
        (r.obj.code, r.progress, r.counts.counts, r.counts.not_reported)
        for r in rollup.pillars
    ]
    empty = selectors.status_rollup(actor=office, plan=plan["plan"], period=plan["h1"])
    assert (empty.overall.reported, empty.overall.not_reported) == (0, 4)


def test_rollup_filters_by_bureau_and_pillar(plan, lead, office):
    _approve(plan, lead, office, "1-1-1", Status.ON_PLAN, 100)
    rollup = selectors.status_rollup(
        actor=office,
        plan=plan["plan"],
        period=plan["fy2022"],
        filters=selectors.ItemFilter(bureau="35"),
    )
    assert rollup.overall.total == 2
    rollup = selectors.status_rollup(
        actor=office,
        plan=plan["plan"],
        period=plan["fy2022"],
        filters=selectors.ItemFilter(pillar="2"),
    )
    assert rollup.overall.total == 1 and [r.obj.code for r in rollup.pillars] == ["2"]


def test_worklist_and_review_queue(plan, staff_user, lead, office, other_lead):
    report = _draft(lead, plan["items"]["1-1-1"], plan["h1"])
    codes = [
        i.code
        for i in selectors.worklist(
            actor=staff_user, plan=plan["plan"], period=plan["h1"]
        )
    ]
    assert sorted(codes) == ["1-1-1", "1-1-2"]  # the clerk's bureau only
    # the reform office's member is also staff of 総務局: its items are theirs
    codes = [
        i.code
        for i in selectors.worklist(actor=office, plan=plan["plan"], period=plan["h1"])
    ]
    assert sorted(codes) == ["1-2-1", "2-1-1"]
    # what needs doing first: not yet written, then drafts
    order = [
        i.code
        for i in selectors.worklist(actor=lead, plan=plan["plan"], period=plan["h1"])
    ]
    assert order == ["1-1-2", "1-1-1"]
    services.status_report_submit(actor=lead, report=report)
    queue = selectors.review_queue(actor=office, plan=plan["plan"])
    assert [r.item.code for r in queue] == ["1-1-1"]
    with pytest.raises(PermissionDenied):
        selectors.review_queue(actor=lead, plan=plan["plan"])


def test_citizens_see_only_published_plans(plan, citizen, staff_user):
    assert list(selectors.plan_list(actor=citizen)) == []
    assert list(selectors.plan_list(actor=None)) == []
    assert [p.code for p in selectors.plan_list(actor=staff_user)] == ["reform"]
    plan["plan"].is_public = True
    plan["plan"].save()
    assert [p.code for p in selectors.plan_list(actor=citizen)] == ["reform"]


def test_reminders_go_once_to_the_bureau_lead(plan, lead, settings):
    sent = services.reminders_send(
        today=date(2023, 10, 28)
    )  # 3 days before the H1 deadline
    # 健康福祉局 and 総務局, for FY2023-H1 (due soon) and FY2022 (open, overdue)
    assert sent == 4
    assert ReminderLog.objects.filter(period=plan["h1"], kind="due_soon").count() == 2
    assert (
        ReminderLog.objects.filter(period=plan["fy2022"], kind="overdue").count() == 2
    )
    assert sorted(tuple(m.to) for m in mail.outbox) == [
        ("lead@example.jp",),
        ("lead@example.jp",),
    ]
    assert "2 action items" in mail.outbox[0].body or "2 件" in mail.outbox[0].body
    assert services.reminders_send(today=date(2023, 10, 28)) == 0  # idempotent


def test_indicator_values_and_ceiling_targets(plan, office, lead, org):
    indicator = IndicatorFactory(
        plan=plan["plan"],
        code="3-3",
        unit="億円",
        direction="lower",
        target_kind="at_most",
        baseline_value=Decimal(2248),
        org_unit=org["disability"],
    )
    services.indicator_value_record(
        actor=office,
        indicator=indicator,
        fiscal_year=2022,
        kind="actual",
        value="2,359",
    )
    services.indicator_value_record(
        actor=lead, indicator=indicator, fiscal_year=2023, kind="target", value=2430
    )
    with pytest.raises(ValidationError) as error:
        services.indicator_value_record(
            actor=office, indicator=indicator, fiscal_year=2020, kind="target", value=1
        )
    assert "fiscal_year" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.indicator_value_record(
            actor=office,
            indicator=indicator,
            fiscal_year=2022,
            kind="actual",
            value="abc",
        )
    row = selectors.indicator_get(actor=office, plan=plan["plan"], code="3-3")
    assert row.assessment.judgement == "achieved"
    assert row.assessment.latest_value == Decimal(2359)


def test_indicator_values_need_the_right_role(plan, staff_user, other_lead, org):
    indicator = IndicatorFactory(plan=plan["plan"], org_unit=org["disability"])
    for actor in (staff_user, other_lead):
        with pytest.raises(PermissionDenied):
            services.indicator_value_record(
                actor=actor,
                indicator=indicator,
                fiscal_year=2022,
                kind="actual",
                value=1,
            )


def test_series_point_record_is_an_upsert_for_other_apps(plan, staff_user):
    series = SeriesFactory(code="procedures-online", plan=plan["plan"])
    services.series_point_record(
        actor=SYSTEM,
        series="procedures-online",
        on=date(2023, 3, 31),
        value=45,
        origin="procedures",
    )
    services.series_point_record(
        actor=SYSTEM,
        series="procedures-online",
        on=date(2023, 3, 31),
        value=45,
        origin="procedures",
    )
    services.series_point_record(
        actor=SYSTEM, series=series, on=date(2024, 3, 31), value="69"
    )
    assert list(SeriesPoint.objects.values_list("value", flat=True).order_by("on")) == [
        Decimal(45),
        Decimal(69),
    ]
    assert AuditEvent.objects.filter(action="reforms.series_point.record").count() == 2
    with pytest.raises(PermissionDenied):
        services.series_point_record(
            actor=staff_user, series=series, on=date(2024, 3, 31), value=1
        )
    with pytest.raises(ValidationError):
        services.series_point_record(
            actor=SYSTEM, series="no-such-series", on=date(2024, 3, 31), value=1
        )
    charts = selectors.series_charts(actor=staff_user, plan=plan["plan"])
    assert [c.key for c in charts] == ["procedures-online"]
    day, cells = charts[0].rows()[0]
    assert (day, cells[0][0], cells[0][1].pk) == (
        date(2023, 3, 31),
        Decimal(45),
        series.pk,
    )


def test_structure_edits_are_audited_with_readable_diffs(plan, office, staff_user, org):
    item = plan["items"]["1-1-1"]
    item.org_unit = org["reform"]
    item.name = "新しい名前"
    services.action_item_save(actor=office, item=item, created=False, indicators=[])
    item.refresh_from_db()
    assert item.bureau.code == "20"
    event = AuditEvent.objects.filter(action="reforms.actionitem.update").get()
    assert event.changes["org_unit"] == ["障がい保健福祉課", "改革プロジェクト推進課"]
    assert event.changes["name"][1] == "新しい名前"
    with pytest.raises(PermissionDenied):
        services.action_item_save(actor=staff_user, item=item, created=False)


def test_period_codes_are_parsed_and_dated(plan, office):
    period = services.period_save(actor=office, plan=plan["plan"], code="fy2023-q3")
    assert (period.code, period.starts_on, period.ends_on) == (
        "FY2023-Q3",
        date(2023, 10, 1),
        date(2023, 12, 31),
    )
    assert period.deadline == date(2024, 1, 30)
    h2 = services.period_save(actor=office, plan=plan["plan"], code="FY2023-H2")
    assert (h2.starts_on, h2.ends_on) == (date(2023, 10, 1), date(2024, 3, 31))
    with pytest.raises(ValidationError):
        services.period_save(actor=office, plan=plan["plan"], code="2023Q5")


def test_cached_rollup_follows_every_change(
    plan, lead, office, django_assert_num_queries
):
    period = plan["fy2022"]

    def on_plan() -> int:
        fresh = type(plan["plan"]).objects.get(pk=plan["plan"].pk)
        return selectors.status_rollup(
            actor=office, plan=fresh, period=period
        ).overall.get(Status.ON_PLAN)

    assert on_plan() == 0
    fresh = type(plan["plan"]).objects.get(pk=plan["plan"].pk)
    with django_assert_num_queries(0):  # the same data version: from the cache
        selectors.status_rollup(actor=office, plan=fresh, period=period)
    report = _approve(plan, lead, office, "1-1-1", Status.ON_PLAN, 80)
    assert on_plan() == 1
    services.status_report_reopen(actor=lead, report=report)
    report.refresh_from_db()
    _draft(
        lead,
        plan["items"]["1-1-1"],
        period,
        Status.CHANGED,
        reason="遅延",
        version=report.version,
    )
    report = services.status_report_submit(actor=lead, report=report)
    services.status_report_approve(actor=office, report=report)
    assert on_plan() == 0


def test_an_import_that_changes_statuses_refreshes_the_rollup(plan, lead, office):
    import io
    import zipfile

    from yorisou.reforms import transfer

    _approve(plan, lead, office, "1-1-1", Status.ON_PLAN, 80)
    fresh = type(plan["plan"]).objects.get(pk=plan["plan"].pk)
    rollup = selectors.status_rollup(actor=office, plan=fresh, period=plan["fy2022"])
    assert rollup.overall.get(Status.ON_PLAN) == 1
    archive = zipfile.ZipFile(
        io.BytesIO(transfer.plan_export(actor=office, plan=fresh, fmt="zip"))
    )
    changed = io.BytesIO()
    with zipfile.ZipFile(changed, "w") as out:
        for name in archive.namelist():
            data = archive.read(name)
            if name == "status_reports.csv":
                data = data.decode("utf-8-sig").replace(",on_plan,", ",done,").encode()
            out.writestr(name, data)
    changed.seek(0)
    result = transfer.plan_import(
        actor=office, workbook=transfer.read_plan_workbook(changed, "plan.zip")
    )
    assert result.ok, result.errors
    fresh = type(plan["plan"]).objects.get(pk=plan["plan"].pk)
    rollup = selectors.status_rollup(actor=office, plan=fresh, period=plan["fy2022"])
    assert (rollup.overall.get(Status.ON_PLAN), rollup.overall.get(Status.DONE)) == (
        0,
        1,
    )


def test_a_closed_period_takes_no_review_either(plan, lead, office):
    report = services.status_report_submit(
        actor=lead, report=_draft(lead, plan["items"]["1-1-1"], plan["fy2022"])
    )
    plan["fy2022"].is_closed = True
    plan["fy2022"].save()
    for step in (
        lambda: services.status_report_approve(actor=office, report=report),
        lambda: services.status_report_return(actor=office, report=report, comment="x"),
        lambda: services.status_report_reopen(actor=lead, report=report),
    ):
        with pytest.raises(ValidationError):
            step()
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED


def test_closing_a_period_records_when(plan, office):
    period = services.period_save(
        actor=office, plan=plan["plan"], code="FY2022", is_closed=True
    )
    assert period.is_closed and period.closed_at is not None
    first = period.closed_at
    period = services.period_save(
        actor=office, plan=plan["plan"], code="FY2022", is_closed=True
    )
    assert period.closed_at == first  # closing again keeps the moment
