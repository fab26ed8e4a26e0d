"""What a plan already holds, keyed as in the workbook, loaded in bulk."""

from typing import Any

from django.db.models import Max

from yorisou.reforms.models import (
    ActionItem,
    Indicator,
    IndicatorValue,
    Initiative,
    Milestone,
    Pillar,
    Plan,
    ReportingPeriod,
    ScheduleEntry,
    Series,
    SeriesPoint,
    Stage,
    StatusReport,
    StatusReportEvent,
)


class Existing:
    """What the plan already holds, keyed as in the file; one query per sheet.

    The levels that other sheets name by code are loaded first (they are needed
    to check references); the many rows below them only when writing.
    """

    def __init__(self, plan: Plan | None, series_codes: set[str]) -> None:
        self.plan = plan
        self.schedule: dict[Any, ScheduleEntry] = {}
        self.milestones: dict[Any, Milestone] = {}
        self.status_reports: dict[Any, StatusReport] = {}
        self.indicator_values: dict[Any, IndicatorValue] = {}
        self.item_links: dict[int, set[int]] = {}
        self.link_ids: dict[tuple[int, int], int] = {}
        # Series are global: those named in the file, and those of the plan.
        query = Series.objects.filter(code__in=series_codes)
        if plan is not None:
            query = query | Series.objects.filter(plan=plan)
        self.series: dict[Any, Series] = {s.code: s for s in query}
        self.series_owner = {s.code: s.plan_id for s in self.series.values()}
        if plan is None:
            self.stages: dict[Any, Stage] = {}
            self.pillars: dict[Any, Pillar] = {}
            self.initiatives: dict[Any, Initiative] = {}
            self.items: dict[Any, ActionItem] = {}
            self.indicators: dict[Any, Indicator] = {}
            self.periods: dict[Any, ReportingPeriod] = {}
            return
        self.stages = {o.code: o for o in Stage.objects.filter(plan=plan)}
        self.pillars = {o.code: o for o in Pillar.objects.filter(plan=plan)}
        self.initiatives = {o.code: o for o in Initiative.objects.filter(plan=plan)}
        self.items = {o.code: o for o in ActionItem.objects.filter(plan=plan)}
        self.indicators = {o.code: o for o in Indicator.objects.filter(plan=plan)}
        self.periods = {o.code: o for o in ReportingPeriod.objects.filter(plan=plan)}

    def codes(self, sheet: str) -> set[Any]:
        """The codes of a sheet's rows already in the plan."""
        if sheet == "series":
            plan_id = self.plan.pk if self.plan is not None else None
            return {
                code
                for code, owner in self.series_owner.items()
                if plan_id is not None and owner == plan_id
            }
        found: dict[Any, Any] = getattr(self, sheet)
        return set(found)

    @property
    def baseline_years(self) -> dict[Any, int]:
        return {code: o.baseline_year for code, o in self.indicators.items()}

    def load_rows(self) -> None:
        """The rows below the action items, indicators and periods."""
        plan = self.plan
        if plan is None:
            return
        item_codes = {o.pk: o.code for o in self.items.values()}
        period_codes = {o.pk: o.code for o in self.periods.values()}
        indicator_codes = {o.pk: o.code for o in self.indicators.values()}
        self.schedule = {
            (item_codes[o.item_id], o.fiscal_year, o.quarter): o
            for o in ScheduleEntry.objects.filter(item__plan=plan)
        }
        self.milestones = {
            (item_codes[o.item_id], o.title): o
            for o in Milestone.objects.filter(item__plan=plan)
        }
        self.status_reports = {
            (item_codes[o.item_id], period_codes[o.period_id]): o
            for o in StatusReport.objects.filter(period__plan=plan)
            if o.item_id in item_codes
        }
        self.indicator_values = {
            (indicator_codes[o.indicator_id], o.fiscal_year, o.kind): o
            for o in IndicatorValue.objects.filter(indicator__plan=plan)
        }
        through = ActionItem.indicators.through
        for link_id, item_id, indicator_id in through.objects.filter(
            actionitem__plan=plan
        ).values_list("pk", "actionitem_id", "indicator_id"):
            self.item_links.setdefault(item_id, set()).add(indicator_id)
            self.link_ids[(item_id, indicator_id)] = link_id

    def report_ids(self) -> dict[tuple[int, int], int]:
        """``(item id, period id) → id`` of every status report of the plan."""
        return {
            (item_id, period_id): pk
            for pk, item_id, period_id in StatusReport.objects.filter(
                period__plan=self.plan
            ).values_list("pk", "item_id", "period_id")
        }

    def last_event_seqs(self) -> dict[int, int]:
        """The last history ``seq`` of each status report of the plan."""
        return dict(
            StatusReportEvent.objects.filter(report__period__plan=self.plan)
            .values("report_id")
            .annotate(last=Max("seq"))
            .values_list("report_id", "last")
        )

    def series_points(self, series: dict[Any, Series]) -> dict[Any, SeriesPoint]:
        codes = {s.pk: s.code for s in series.values()}
        return {
            (codes[p.series_id], p.on): p
            for p in SeriesPoint.objects.filter(series_id__in=list(codes))
        }
