"""Sections the reform plan contributes to the progress report (進捗報告書):
the stage goal, the progress summary, items not on plan per promotion item, the
verification indicators, and the My Number card and certificate charts."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yorisou.reforms import selectors
from yorisou.reforms.constants import Judgement, Status
from yorisou.reforms.models import ActionItem, Pillar, Stage
from yorisou.reports.content import Chart, Page, Table
from yorisou.reports.registry import ReportSection, SectionContext, sections

_MARKS = {
    Judgement.ACHIEVED: "◎",
    Judgement.ON_TRACK: "○",
    Judgement.WATCH: "△",
    Judgement.MISSED: "×",
    Judgement.NO_DATA: "－",
}


def _as_of(context: SectionContext) -> Any:
    period = context.period
    return (period.closed_at if period and period.closed_at else None) or timezone.now()


def _statuses(context: SectionContext) -> dict[int, tuple[str, str, int | None]]:
    if context.period is None:
        return {}
    return selectors.approved_statuses_as_of(
        actor=context.actor,
        plan=context.plan,
        period=context.period,
        at=_as_of(context),
    )


def _source(context: SectionContext) -> str:
    period = context.period.label if context.period else "—"
    return _(
        "Source: status reports approved by the reform office for %(period)s, "
        "as at %(at)s."
    ) % {
        "period": period,
        "at": timezone.localtime(_as_of(context)).strftime("%Y-%m-%d %H:%M"),
    }


@sections.register("reforms.stage_goal")
class StageGoalSection(ReportSection):
    """The goal of the stage the period falls in (ステージの目標)."""

    title = gettext_lazy("Stage goal")
    description = gettext_lazy("The goal of the current stage and its years.")
    order = 10

    def pages(self, context: SectionContext) -> list[Page]:
        year = context.period.fiscal_year if context.period else context.plan.end_fy
        stage = (
            Stage.objects.filter(
                plan=context.plan, start_fy__lte=year, end_fy__gte=year
            )
            .order_by("sort_order")
            .first()
        )
        if stage is None:
            return []
        return [
            Page(
                title=" ".join(
                    [context.plan.label("stage"), stage.code, stage.display_name]
                ),
                paragraphs=[
                    f"FY{stage.start_fy}–FY{stage.end_fy}",
                    *[line for line in stage.goal.splitlines() if line.strip()],
                ],
                notes=_("Source: the plan's stage %(code)s.") % {"code": stage.code},
            )
        ]


@sections.register("reforms.progress")
class ProgressSection(ReportSection):
    """計画通り / 一部変更・遅れ / 合計, overall and per promotion item."""

    title = gettext_lazy("Progress")
    description = gettext_lazy(
        "Counts of action items on plan and changed or delayed, overall and per "
        "promotion item, with a chart."
    )
    order = 20

    def pages(self, context: SectionContext) -> list[Page]:
        statuses = _statuses(context)
        pillars = list(
            Pillar.objects.filter(plan=context.plan).order_by("sort_order", "code")
        )
        items = list(
            ActionItem.objects.filter(plan=context.plan).values_list(
                "id", "initiative__pillar_id"
            )
        )
        columns = [str(label) for _value, label in Status.choices]
        if not statuses:
            return [
                Page(
                    title=_("Progress of the action items"),
                    paragraphs=[
                        _("No status has been approved for %(period)s.")
                        % {"period": context.period.label if context.period else "—"}
                    ],
                    notes=_source(context),
                )
            ]
        counts: dict[int | None, dict[str, int]] = {
            p.pk: dict.fromkeys(Status.values, 0) for p in pillars
        }
        overall = dict.fromkeys(Status.values, 0)
        not_reported = 0
        for item_id, pillar_id in items:
            entry = statuses.get(item_id)
            if entry is None:
                not_reported += 1
                continue
            counts.setdefault(pillar_id, dict.fromkeys(Status.values, 0))[entry[0]] += 1
            overall[entry[0]] += 1
        used = [s for s in Status.values if overall[s]]
        header = [
            context.plan.label("pillar"),
            *[str(Status(s).label) for s in used],
            _("Total"),
        ]
        rows: list[list[Any]] = []
        for pillar in pillars:
            row = counts.get(pillar.pk, {})
            rows.append(
                [
                    f"{pillar.code} {pillar.display_name}",
                    *[row.get(s, 0) for s in used],
                    sum(row.values()),
                ]
            )
        rows.append([_("Total"), *[overall[s] for s in used], sum(overall.values())])
        del columns
        total_table = Table(
            title=_("Progress of %(count)s action items") % {"count": len(items)},
            columns=[str(Status(s).label) for s in used] + [_("Total")],
            rows=[[overall[s] for s in used] + [sum(overall.values())]],
            formats=["#,##0"] * (len(used) + 1),
        )
        pillar_table = Table(
            title=_("By %(level)s") % {"level": context.plan.label("pillar")},
            columns=header,
            rows=rows,
            formats=[None] + ["#,##0"] * (len(used) + 1),
        )
        chart = Chart(
            title=_("Statuses by %(level)s") % {"level": context.plan.label("pillar")},
            kind="stacked_bar",
            categories=[f"{p.code} {p.display_name}" for p in pillars],
            series=[
                (
                    str(Status(s).label),
                    [counts.get(p.pk, {}).get(s, 0) for p in pillars],
                )
                for s in used
            ],
        )
        paragraphs = [
            _("%(pillars)s promotion items, %(items)s action items.")
            % {"pillars": len(pillars), "items": len(items)}
        ]
        if not_reported:
            paragraphs.append(
                _("%(count)s action items have no approved status.")
                % {"count": not_reported}
            )
        return [
            Page(
                title=_("Progress of the action items"),
                paragraphs=paragraphs,
                tables=[total_table, pillar_table],
                charts=[chart],
                notes=_source(context),
            )
        ]


@sections.register("reforms.pillar_details")
class PillarDetailsSection(ReportSection):
    """Per promotion item: the action items not on plan and their reasons."""

    title = gettext_lazy("Items not on plan")
    description = gettext_lazy(
        "For each promotion item, the action items not on plan and their reasons."
    )
    order = 30

    def pages(self, context: SectionContext) -> list[Page]:
        statuses = _statuses(context)
        if not statuses:
            return []
        items = list(
            ActionItem.objects.filter(plan=context.plan)
            .select_related("initiative__pillar", "org_unit")
            .order_by("sort_order", "code")
        )
        pages = []
        for pillar in Pillar.objects.filter(plan=context.plan).order_by(
            "sort_order", "code"
        ):
            rows: list[list[Any]] = []
            for item in items:
                entry = statuses.get(item.pk)
                if item.initiative.pillar_id != pillar.pk or entry is None:
                    continue
                if entry[0] in (Status.ON_PLAN, Status.DONE):
                    continue
                rows.append(
                    [
                        item.code,
                        item.display_name,
                        str(Status(entry[0]).label),
                        entry[1],
                        item.org_unit.display_name,
                    ]
                )
            pages.append(
                Page(
                    title=f"{pillar.code} {pillar.display_name}",
                    paragraphs=[pillar.aim] if pillar.aim else [],
                    tables=[
                        Table(
                            title=_("Action items not on plan"),
                            columns=[
                                _("Code"),
                                context.plan.label("item"),
                                _("Status"),
                                _("Reason"),
                                _("Responsible unit"),
                            ],
                            rows=rows,
                            formats=[None] * 5,
                        )
                    ]
                    if rows
                    else [],
                    notes=_source(context),
                )
            )
        return pages


@sections.register("reforms.items")
class ItemsSection(ReportSection):
    """Every action item with its approved status (the full list is in the
    Excel version; slides and PDF pages show the first rows)."""

    title = gettext_lazy("All action items")
    description = gettext_lazy(
        "Every action item with its status (the full list in Excel)."
    )
    order = 35

    def pages(self, context: SectionContext) -> list[Page]:
        statuses = _statuses(context)
        if not statuses:
            return []
        rows: list[list[Any]] = []
        for code, name, pillar, bureau, item_id in (
            ActionItem.objects.filter(plan=context.plan)
            .order_by("sort_order", "code")
            .values_list(
                "code", "name", "initiative__pillar__code", "bureau__name", "id"
            )
        ):
            status, reason, progress = statuses.get(item_id, ("", "", None))
            rows.append(
                [
                    code,
                    name,
                    pillar,
                    bureau,
                    str(Status(status).label) if status else _("Not reported"),
                    progress,
                    reason,
                ]
            )
        return [
            Page(
                title=_("All action items and their status"),
                tables=[
                    Table(
                        title=_("Action items with statuses"),
                        columns=[
                            _("Code"),
                            context.plan.label("item"),
                            context.plan.label("pillar"),
                            _("Bureau"),
                            _("Status"),
                            _("Progress (%)"),
                            _("Reason"),
                        ],
                        rows=rows,
                        formats=[None, None, None, None, None, "0", None],
                    )
                ],
                notes=_source(context),
            )
        ]


@sections.register("reforms.indicators")
class IndicatorSection(ReportSection):
    """The verification indicators: baseline, latest, target and judgement."""

    title = gettext_lazy("Verification indicators")
    description = gettext_lazy(
        "Baseline, latest value and target of each indicator with its judgement."
    )
    order = 40

    def pages(self, context: SectionContext) -> list[Page]:
        table = selectors.indicator_table(actor=context.actor, plan=context.plan)
        rows: list[list[Any]] = []
        for row in table.rows:
            indicator, a = row.indicator, row.assessment
            rows.append(
                [
                    indicator.group,
                    f"{indicator.display_name} ({indicator.unit})",
                    a.baseline_value,
                    a.latest_value,
                    a.target_value,
                    f"{_MARKS[a.judgement]} {Judgement(a.judgement).label}",
                ]
            )
        if not rows:
            return []
        return [
            Page(
                title=_("Verification indicators"),
                tables=[
                    Table(
                        title=_("Baseline, latest value and target"),
                        columns=[
                            _("Group"),
                            _("Indicator"),
                            _("Baseline value"),
                            _("Latest value"),
                            _("Target value"),
                            _("Judgement"),
                        ],
                        rows=rows,
                        formats=[
                            None,
                            None,
                            "#,##0.###",
                            "#,##0.###",
                            "#,##0.###",
                            None,
                        ],
                    )
                ],
                paragraphs=[
                    _(
                        "◎ achieved, ○ on track, △ needs attention, × missed "
                        "(rule: docs/glossary.md)."
                    )
                ],
                notes=_(
                    "Source: the plan's verification indicators "
                    "(baseline, actual and target values)."
                ),
            )
        ]


def _series_page(
    context: SectionContext, key: str, kind: str, title: str
) -> list[Page]:
    charts = [
        c
        for c in selectors.series_charts(actor=context.actor, plan=context.plan)
        if c.key == key
    ]
    if not charts:
        return []
    chart = charts[0]
    labels = [day.strftime("%Y-%m") for day in chart.dates]
    series = [
        (one.display_name, [chart.values[one.pk].get(day) for day in chart.dates])
        for one in chart.series
    ]
    table = Table(
        title=title,
        columns=[_("Date"), *[name for name, _values in series]],
        rows=[
            [label, *[values[i] for _name, values in series]]
            for i, label in enumerate(labels)
        ],
        formats=[None] + ["0.00"] * len(series),
    )
    return [
        Page(
            title=title,
            tables=[table],
            charts=[
                Chart(
                    title=title,
                    kind=kind,
                    categories=labels,
                    series=series,
                    unit=chart.unit,
                    number_format="0.0",
                )
            ],
            notes="; ".join(
                f"{one.display_name}: {one.source}"
                for one in chart.series
                if one.source
            ),
        )
    ]


@sections.register("reforms.mynumber")
class MyNumberSection(ReportSection):
    """My Number card application and acquisition rates."""

    title = gettext_lazy("My Number card")
    description = gettext_lazy(
        "Application and holding rates of the My Number card, city and country."
    )
    order = 50

    def pages(self, context: SectionContext) -> list[Page]:
        return _series_page(
            context,
            "mynumber",
            "line",
            _("My Number card: application and acquisition rates"),
        )


@sections.register("reforms.certificates")
class CertificatesSection(ReportSection):
    """Certificates issued at the counter and at convenience stores."""

    title = gettext_lazy("Certificates")
    description = gettext_lazy(
        "Shares of certificates issued at counters and at convenience stores."
    )
    order = 60

    def pages(self, context: SectionContext) -> list[Page]:
        return _series_page(
            context,
            "certificates",
            "stacked_column",
            _("Certificates: counter and convenience stores"),
        )
