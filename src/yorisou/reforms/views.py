"""Screens of the reform plan: dashboard, drill-down, reporting, review, indicators,
series, structure editing, Excel round trip, and the public view.

Views parse input, call one selector or service and render; permissions are
checked in the selectors and services.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yorisou.core.forms import add_service_errors
from yorisou.core.tabular import TabularFormatError
from yorisou.reforms import selectors, services, transfer
from yorisou.reforms.constants import ReportState, Status
from yorisou.reforms.forms import (
    STRUCTURE_FORMS,
    DashboardFilterForm,
    IndicatorValueForm,
    MilestoneForm,
    PeriodForm,
    PlanForm,
    ReviewForm,
    ScheduleEntryForm,
    SeriesPointForm,
    StatusReportForm,
    UploadForm,
    limit_to_plan,
)
from yorisou.reforms.models import (
    ActionItem,
    Indicator,
    Initiative,
    Pillar,
    Plan,
    ReportingPeriod,
    Series,
    Stage,
)

STATUS_ORDER = [s.value for s in Status]
DASHBOARD_INDICATORS = 20
DASHBOARD_POINTS = 24  # the latest points of each series; all on its own page
PAGE_SIZE = 50


def _plan(request: HttpRequest, code: str) -> Plan:
    try:
        return selectors.plan_get(actor=request.user, code=code)
    except Plan.DoesNotExist:
        raise Http404 from None


def _period(
    plan: Plan, code: str | None, periods: list[ReportingPeriod]
) -> ReportingPeriod | None:
    if code:
        for period in periods:
            if period.code == code:
                return period
    return selectors.period_default(periods, plan=plan)


def _status_chart(rows: list[selectors.RollupRow], label: Any) -> dict[str, Any]:
    """Data for a stacked bar chart of statuses (drawn by charts.js; the same
    figures are in the table beside it)."""
    return {
        "type": "status",
        "labels": [label(row.obj) for row in rows],
        "datasets": [
            {
                "key": status,
                "label": str(Status(status).label),
                "data": [row.counts.get(status) for row in rows],
            }
            for status in STATUS_ORDER
        ]
        + [
            {
                "key": selectors.NOT_REPORTED,
                "label": _("Not reported"),
                "data": [row.counts.not_reported for row in rows],
            }
        ],
    }


def _series_chart(chart: selectors.Chart) -> dict[str, Any]:
    return {
        "type": "line",
        "unit": chart.unit,
        "labels": [day.isoformat() for day in chart.dates],
        "datasets": [
            {
                "key": one.code,
                "label": one.display_name,
                "data": [
                    float(v)
                    if (v := chart.values[one.pk].get(day)) is not None
                    else None
                    for day in chart.dates
                ],
            }
            for one in chart.series
        ],
    }


def _dashboard_context(request: HttpRequest, plan: Plan) -> dict[str, Any]:
    periods = selectors.period_list(plan=plan)
    pillars = list(Pillar.objects.filter(plan=plan).order_by("sort_order", "code"))
    bureaus = selectors.bureau_choices(plan=plan)
    form = DashboardFilterForm(
        request.GET or None,
        periods=periods,
        bureaus=bureaus,
        pillars=pillars,
        pillar_label=plan.label("pillar"),
    )
    data = form.cleaned_data if form.is_valid() else {}
    period = _period(plan, data.get("period"), periods)
    filters = selectors.ItemFilter(
        bureau=data.get("bureau", ""),
        pillar=data.get("pillar", ""),
        status=data.get("status", ""),
        query=data.get("q", ""),
    )
    rollup = selectors.status_rollup(
        actor=request.user, plan=plan, period=period, filters=filters
    )
    items = selectors.action_item_list(
        actor=request.user, plan=plan, period=period, filters=filters
    )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    # The dashboard shows the first rows; the indicator page has them all.
    indicators = selectors.indicator_table(
        actor=request.user, plan=plan, limit=DASHBOARD_INDICATORS
    )
    charts = selectors.series_charts(
        actor=request.user, plan=plan, last=DASHBOARD_POINTS
    )
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "plan": plan,
        "form": form,
        "period": period,
        "periods": periods,
        "rollup": rollup,
        "page": page,
        "query": query.urlencode(),
        "indicators": indicators.rows,
        "indicator_count": indicators.total,
        "judgements": indicators.judgements,
        "charts": [(chart, _series_chart(chart)) for chart in charts],
        "pillar_chart": _status_chart(
            rollup.pillars, lambda p: f"{p.code} {p.display_name}"
        ),
        "bureau_chart": _status_chart(rollup.bureaus, lambda b: b.display_name),
        "statuses": Status.choices,
        "can_edit": selectors.can_edit_structure(request.user),
        "can_review": selectors.can_review(request.user),
    }


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    """The plans; with only one, go straight to its dashboard."""
    plans = list(selectors.plan_list(actor=request.user))
    can_edit = selectors.can_edit_structure(request.user)
    if len(plans) == 1 and not can_edit:
        return redirect("reforms:dashboard", plan=plans[0].code)
    return render(
        request, "reforms/plan_list.html", {"plans": plans, "can_edit": can_edit}
    )


def _first_plan(request: HttpRequest) -> Plan:
    plan = selectors.plan_list(actor=request.user).first()
    if plan is None:
        raise Http404
    return plan


@login_required
def worklist_any(request: HttpRequest) -> HttpResponse:
    """The menu's "my items": the worklist of the newest plan."""
    return redirect("reforms:worklist", plan=_first_plan(request).code)


@login_required
def review_any(request: HttpRequest) -> HttpResponse:
    """The menu's review queue: the queue of the newest plan."""
    return redirect("reforms:review", plan=_first_plan(request).code)


@login_required
def dashboard(request: HttpRequest, plan: str) -> HttpResponse:
    """進捗ダッシュボード: status distribution, indicators, series, drill-down."""
    context = _dashboard_context(request, _plan(request, plan))
    return render(request, "reforms/dashboard.html", context)


def public_plan(request: HttpRequest, plan: str) -> HttpResponse:
    """The read-only public view of a published plan (no sign-in)."""
    try:
        found = selectors.plan_list(actor=None).get(code=plan)
    except Plan.DoesNotExist:
        raise Http404 from None
    periods = selectors.period_list(plan=found)
    period = _period(found, request.GET.get("period"), periods)
    rollup = selectors.status_rollup(actor=None, plan=found, period=period)
    return render(
        request,
        "reforms/public_plan.html",
        {
            "plan": found,
            "period": period,
            "periods": periods,
            "rollup": rollup,
            "indicators": selectors.indicator_table(actor=None, plan=found).rows,
            "charts": [
                (chart, _series_chart(chart))
                for chart in selectors.series_charts(actor=None, plan=found)
            ],
            "pillar_chart": _status_chart(
                rollup.pillars, lambda p: f"{p.code} {p.display_name}"
            ),
            "statuses": Status.choices,
        },
    )


@login_required
def pillar_detail(request: HttpRequest, plan: str, code: str) -> HttpResponse:
    """A promotion item: its initiatives with counts and progress, and their items."""
    found = _plan(request, plan)
    try:
        pillar = selectors.pillar_get(actor=request.user, plan=found, code=code)
    except Pillar.DoesNotExist:
        raise Http404 from None
    periods = selectors.period_list(plan=found)
    period = _period(found, request.GET.get("period"), periods)
    filters = selectors.ItemFilter(pillar=pillar.code)
    rollup = selectors.status_rollup(
        actor=request.user,
        plan=found,
        period=period,
        filters=filters,
        with_initiatives=True,
    )
    items = list(
        selectors.action_item_list(
            actor=request.user, plan=found, period=period, filters=filters
        )
    )
    initiatives = []
    for initiative in selectors.initiative_list(
        actor=request.user, plan=found, pillar=pillar
    ):
        initiatives.append(
            (
                initiative,
                rollup.initiatives.get(initiative.pk),
                [i for i in items if i.initiative_id == initiative.pk],
            )
        )
    return render(
        request,
        "reforms/pillar_detail.html",
        {
            "plan": found,
            "pillar": pillar,
            "period": period,
            "periods": periods,
            "rollup": rollup,
            "pillar_row": rollup.pillars[0] if rollup.pillars else None,
            "initiatives": initiatives,
            "statuses": Status.choices,
        },
    )


@login_required
def item_detail(request: HttpRequest, plan: str, code: str) -> HttpResponse:
    """An action item: plan, schedule, milestones, indicators, reports and history.

    The reform office adds planned work and milestones here; the bureau marks
    milestones reached.
    """
    found = _plan(request, plan)
    try:
        item = selectors.action_item_get(actor=request.user, plan=found, code=code)
    except ActionItem.DoesNotExist:
        raise Http404 from None
    can_edit = selectors.can_edit_structure(request.user)
    can_draft = selectors.can_draft(request.user, item)
    action = request.POST.get("action", "")
    schedule_form = ScheduleEntryForm(request.POST if action == "schedule" else None)
    milestone_form = MilestoneForm(request.POST if action == "milestone" else None)
    if request.method == "POST":
        try:
            done = _item_post(request, item, action, schedule_form, milestone_form)
        except ValidationError as error:
            add_service_errors(
                schedule_form if action.startswith("schedule") else milestone_form,
                error,
            )
        else:
            if done:
                messages.success(request, _("Saved."))
                return redirect(item_url(item))
    reports = selectors.status_report_list_for_item(actor=request.user, item=item)
    reported = {report.period_id for report in reports}
    open_periods = [
        p for p in selectors.period_open_list(plan=found) if p.pk not in reported
    ]
    return render(
        request,
        "reforms/item_detail.html",
        {
            "plan": found,
            "item": item,
            "reports": reports,
            "open_periods": open_periods,
            "can_draft": can_draft,
            "can_submit": selectors.can_submit(request.user, item),
            "can_review": selectors.can_review(request.user),
            "can_edit": can_edit,
            "schedule_form": schedule_form,
            "milestone_form": milestone_form,
        },
    )


def _int(value: str | None) -> int:
    """A posted id, or 0 (no row has it) when it is not a number."""
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _item_post(
    request: HttpRequest,
    item: ActionItem,
    action: str,
    schedule_form: ScheduleEntryForm,
    milestone_form: MilestoneForm,
) -> bool:
    """Apply one of the item page's small forms; False if the form has errors."""
    actor = request.user
    if action == "schedule":
        if not schedule_form.is_valid():
            return False
        services.schedule_entry_save(
            actor=actor, item=item, **schedule_form.cleaned_data
        )
        return True
    if action == "schedule_delete":
        entry = item.schedule.filter(pk=_int(request.POST.get("entry"))).first()
        if entry is None:
            raise Http404
        services.schedule_entry_delete(actor=actor, entry=entry)
        return True
    if action == "milestone":
        if not milestone_form.is_valid():
            return False
        services.milestone_save(actor=actor, item=item, **milestone_form.cleaned_data)
        return True
    if action == "milestone_done":
        milestone = item.milestones.filter(
            pk=_int(request.POST.get("milestone"))
        ).first()
        if milestone is None:
            raise Http404
        services.milestone_save(
            actor=actor,
            item=item,
            milestone=milestone,
            title=milestone.title,
            due_on=milestone.due_on,
            done_on=timezone.localdate(),
        )
        return True
    raise Http404


@login_required
def report_edit(
    request: HttpRequest, plan: str, code: str, period: str
) -> HttpResponse:
    """Write or revise the status report of an item for a period (bureau staff)."""
    found = _plan(request, plan)
    try:
        item = selectors.action_item_get(actor=request.user, plan=found, code=code)
        the_period = found.periods.get(code=period)
    except (ActionItem.DoesNotExist, ReportingPeriod.DoesNotExist):
        raise Http404 from None
    if not selectors.can_draft(request.user, item):
        raise PermissionDenied
    report = item.status_reports.filter(period=the_period).first()
    initial = (
        {
            "status": report.status,
            "progress": report.progress,
            "reason": report.reason,
            "narrative": report.narrative,
            "version": report.version,
        }
        if report
        else {"status": Status.ON_PLAN, "progress": 0}
    )
    form = StatusReportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = services.status_report_save(
                actor=request.user,
                item=item,
                period=the_period,
                status=data["status"],
                reason=data["reason"],
                progress=data["progress"],
                narrative=data["narrative"],
                version=data["version"],
            )
            if "submit" in request.POST:
                report = services.status_report_submit(
                    actor=request.user, report=report
                )
                messages.success(
                    request, _("The report was submitted to the reform office.")
                )
            else:
                messages.success(request, _("The draft was saved."))
            return redirect(_next(request, item_url(item)))
        except ValidationError as error:
            add_service_errors(form, error)
    return render(
        request,
        "reforms/report_form.html",
        {
            "plan": found,
            "item": item,
            "period": the_period,
            "report": report,
            "form": form,
            "can_submit": selectors.can_submit(request.user, item),
        },
    )


def item_url(item: ActionItem) -> str:
    return reverse(
        "reforms:item_detail", kwargs={"plan": item.plan.code, "code": item.code}
    )


def _next(request: HttpRequest, default: str) -> str:
    """Where to go after a form: a ``next`` path on this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe and target.startswith("/") else default


_ACTIONS: dict[str, Callable[..., Any]] = {
    "submit": services.status_report_submit,
    "approve": services.status_report_approve,
    "return": services.status_report_return,
    "reopen": services.status_report_reopen,
}


@login_required
@require_POST
def report_action(
    request: HttpRequest, plan: str, pk: int, action: str
) -> HttpResponse:
    """Submit, approve, return or reopen a report (one button each)."""
    found = _plan(request, plan)
    try:
        report = selectors.status_report_get(actor=request.user, pk=pk)
    except Exception:
        raise Http404 from None
    if report.item.plan_id != found.pk or action not in _ACTIONS:
        raise Http404
    form = ReviewForm(request.POST)
    form.is_valid()
    kwargs: dict[str, Any] = {"actor": request.user, "report": report}
    kwargs["version"] = form.cleaned_data.get("version")
    if action in ("approve", "return"):
        kwargs["comment"] = form.cleaned_data.get("comment", "")
    try:
        _ACTIONS[action](**kwargs)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        done = {
            "submit": _("Submitted: %(code)s"),
            "approve": _("Approved: %(code)s"),
            "return": _("Returned to the bureau: %(code)s"),
            "reopen": _("Reopened for revision: %(code)s"),
        }[action]
        messages.success(request, done % {"code": report.item.code})
    return redirect(_next(request, item_url(report.item)))


@login_required
def worklist(request: HttpRequest, plan: str) -> HttpResponse:
    """ "My items to update" for the actor's bureau, in one open period."""
    found = _plan(request, plan)
    periods = selectors.period_open_list(plan=found) or selectors.period_list(
        plan=found
    )
    wanted = request.GET.get("period")
    period = next(
        (p for p in periods if p.code == wanted), periods[0] if periods else None
    )
    items = (
        selectors.worklist(actor=request.user, plan=found, period=period)
        if period
        else []
    )
    counts: dict[str, int] = {}
    for item in items:
        item.can_submit = selectors.can_submit(request.user, item)  # type: ignore[attr-defined]
        key = getattr(item, "report_state", None) or "none"
        counts[key] = counts.get(key, 0) + 1
    return render(
        request,
        "reforms/worklist.html",
        {
            "plan": found,
            "period": period,
            "periods": periods,
            "items": items,
            "counts": counts,
            "states": ReportState.choices,
            "can_submit_any": any(
                selectors.can_submit(request.user, i) for i in items[:1]
            ),
        },
    )


@login_required
def review_queue(request: HttpRequest, plan: str) -> HttpResponse:
    """The reform office's queue of submitted reports."""
    found = _plan(request, plan)
    reports = selectors.review_queue(actor=request.user, plan=found)
    return render(
        request,
        "reforms/review_queue.html",
        {"plan": found, "reports": reports},
    )


@login_required
def indicator_list(request: HttpRequest, plan: str) -> HttpResponse:
    """検証指標: baseline, latest, target, achievement and judgement, with the rule."""
    found = _plan(request, plan)
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    table = selectors.indicator_table(
        actor=request.user,
        plan=found,
        offset=(number - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    page = Paginator(range(table.total), PAGE_SIZE).get_page(number)
    years = sorted({year for row in table.rows for year in row.years})
    return render(
        request,
        "reforms/indicator_list.html",
        {
            "plan": found,
            "page": page,
            "table": table.rows,
            "judgements": table.judgements,
            "years": years,
            "can_edit": selectors.can_edit_structure(request.user),
        },
    )


@login_required
def indicator_detail(request: HttpRequest, plan: str, code: str) -> HttpResponse:
    """One indicator: its values by year, with a form to record one."""
    found = _plan(request, plan)
    try:
        row = selectors.indicator_get(actor=request.user, plan=found, code=code)
    except Indicator.DoesNotExist:
        raise Http404 from None
    form = IndicatorValueForm(request.POST or None)
    can_record = selectors.can_record_indicator(request.user, row.indicator)
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.indicator_value_record(
                    actor=request.user, indicator=row.indicator, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The value was saved."))
                return redirect(request.path)
    return render(
        request,
        "reforms/indicator_detail.html",
        {
            "plan": found,
            "row": row,
            "values": list(row.indicator.values.order_by("fiscal_year", "kind")),
            "form": form,
            "can_record": can_record,
        },
    )


@login_required
def series_detail(request: HttpRequest, plan: str, code: str) -> HttpResponse:
    """One operational series: its points, a form to add one, a file import."""
    found = _plan(request, plan)
    try:
        series = selectors.series_get(actor=request.user, code=code)
    except Series.DoesNotExist:
        raise Http404 from None
    form = SeriesPointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.series_point_record(
                actor=request.user, series=series, origin="manual", **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The value was saved."))
            return redirect(request.path)
    return render(
        request,
        "reforms/series_detail.html",
        {
            "plan": found,
            "series": series,
            "points": list(series.points.order_by("-on")),
            "form": form,
            "can_edit": selectors.can_edit_structure(request.user),
        },
    )


@login_required
def structure(request: HttpRequest, plan: str) -> HttpResponse:
    """The plan's tree with links to edit every level (reform office)."""
    found = _plan(request, plan)
    if not selectors.can_edit_structure(request.user):
        raise PermissionDenied
    stages = list(Stage.objects.filter(plan=found).order_by("sort_order", "code"))
    pillars = list(Pillar.objects.filter(plan=found).order_by("sort_order", "code"))
    initiatives = list(
        Initiative.objects.filter(plan=found)
        .select_related("org_unit")
        .order_by("sort_order", "code")
    )
    items = list(
        ActionItem.objects.filter(plan=found)
        .select_related("org_unit")
        .order_by("sort_order", "code")
    )
    return render(
        request,
        "reforms/structure.html",
        {
            "plan": found,
            "stages": stages,
            "pillars": pillars,
            "initiatives": initiatives,
            "items": items,
            "indicators": list(Indicator.objects.filter(plan=found)),
            "series": list(Series.objects.filter(plan=found)),
            "periods": selectors.period_list(plan=found),
        },
    )


_MODELS: dict[str, type[Model]] = {
    "stage": Stage,
    "pillar": Pillar,
    "initiative": Initiative,
    "item": ActionItem,
    "indicator": Indicator,
    "series": Series,
}
_SAVERS: dict[str, Callable[[Any, Any, bool], Any]] = {
    "stage": lambda actor, obj, created: services.stage_save(
        actor=actor, stage=obj, created=created
    ),
    "pillar": lambda actor, obj, created: services.pillar_save(
        actor=actor, pillar=obj, created=created
    ),
    "initiative": lambda actor, obj, created: services.initiative_save(
        actor=actor, initiative=obj, created=created
    ),
    "indicator": lambda actor, obj, created: services.indicator_save(
        actor=actor, indicator=obj, created=created
    ),
    "series": lambda actor, obj, created: services.series_save(
        actor=actor, series=obj, created=created
    ),
}


@login_required
def structure_edit(
    request: HttpRequest, plan: str, kind: str, code: str = ""
) -> HttpResponse:
    """Create or edit a stage, promotion item, initiative, item, indicator, series."""
    found = _plan(request, plan)
    if kind not in STRUCTURE_FORMS:
        raise Http404
    if not selectors.can_edit_structure(request.user):
        raise PermissionDenied
    model = _MODELS[kind]
    instance = None
    if code:
        lookup = {"code": code} if kind == "series" else {"plan": found, "code": code}
        instance = model._default_manager.filter(**lookup).first()
        if instance is None:
            raise Http404
    form = STRUCTURE_FORMS[kind](request.POST or None, instance=instance)
    limit_to_plan(form, found)
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        obj.plan = found
        try:
            if kind == "item":
                services.action_item_save(
                    actor=request.user,
                    item=obj,
                    created=instance is None,
                    indicators=form.cleaned_data["indicators"],
                )
            else:
                _SAVERS[kind](request.user, obj, instance is None)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved: %(name)s") % {"name": obj})
            return redirect("reforms:structure", plan=found.code)
    return render(
        request,
        "reforms/structure_form.html",
        {
            "plan": found,
            "form": form,
            "kind": kind,
            "kind_label": model._meta.verbose_name,
            "instance": instance,
        },
    )


@login_required
def plan_edit(request: HttpRequest, plan: str = "") -> HttpResponse:
    """Create a plan or change its name, period and level names."""
    if not selectors.can_edit_structure(request.user):
        raise PermissionDenied
    found = _plan(request, plan) if plan else None
    form = PlanForm(request.POST or None, instance=found)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.plan_save(
                actor=request.user, plan=form.save(commit=False), created=found is None
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved: %(name)s") % {"name": saved})
            return redirect("reforms:dashboard", plan=saved.code)
    return render(request, "reforms/plan_form.html", {"plan": found, "form": form})


@login_required
def period_list(request: HttpRequest, plan: str) -> HttpResponse:
    """Reporting periods and their deadlines; open a new one."""
    found = _plan(request, plan)
    if not selectors.can_edit_structure(request.user):
        raise PermissionDenied
    form = PeriodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.period_save(actor=request.user, plan=found, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The period was saved."))
            return redirect(request.path)
    return render(
        request,
        "reforms/period_list.html",
        {"plan": found, "periods": selectors.period_list(plan=found), "form": form},
    )


@login_required
def transfer_view(request: HttpRequest, plan: str) -> HttpResponse:
    """Excel round trip: download the whole plan, or upload a changed workbook."""
    found = _plan(request, plan)
    fmt = request.GET.get("format")
    if fmt in ("xlsx", "zip"):
        content = transfer.plan_export(actor=request.user, plan=found, fmt=fmt)
        content_type = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if fmt == "xlsx"
            else "application/zip"
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{found.code}.{fmt}"'
        return response
    form = UploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST":
        if not selectors.can_edit_structure(request.user):
            raise PermissionDenied
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                workbook = transfer.read_plan_workbook(upload, upload.name)
                result = transfer.plan_import(
                    actor=request.user, workbook=workbook, expected_plan_code=found.code
                )
            except TabularFormatError as error:
                form.add_error("file", str(error))
            else:
                if result.ok:
                    messages.success(
                        request,
                        _(
                            "Imported: %(created)s added, %(updated)s changed, "
                            "%(unchanged)s unchanged."
                        )
                        % {
                            "created": result.created,
                            "updated": result.updated,
                            "unchanged": result.unchanged,
                        },
                    )
                    return redirect(request.path)
    return render(
        request,
        "reforms/transfer.html",
        {
            "plan": found,
            "form": form,
            "result": result,
            "can_edit": selectors.can_edit_structure(request.user),
        },
    )
