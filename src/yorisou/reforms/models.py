"""The reform plan (市役所改革計画): its hierarchy, status reports, indicators, series.

Plan > Stage (ステージ) > Pillar (推進項目) > Initiative (取組) > ActionItem (取組項目).
Every level below the plan carries ``plan`` too, so that codes are unique per plan
and a whole plan is one indexed filter. Rollups are never stored: selectors compute
them from the approved values of ``StatusReport``.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yorisou.reforms.constants import (
    Direction,
    Frequency,
    PeriodKind,
    ReportAction,
    ReportState,
    Status,
    TargetKind,
    ValueKind,
)


class Named(models.Model):
    """A Japanese name with an optional English one, shown in the active language."""

    name = models.CharField(_("name (Japanese)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)

    class Meta:
        abstract = True

    @property
    def display_name(self) -> str:
        language = get_language() or "ja"
        if language.startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Plan(Named):
    """A reform plan (改革計画) as the city names it, with the names of its levels.

    Other cities call the levels differently (重点項目, 施策, 事業 …), so the labels
    are data.
    """

    code = models.SlugField(_("code"), max_length=50, unique=True)
    description = models.TextField(_("description"), blank=True)
    start_fy = models.PositiveSmallIntegerField(_("first fiscal year"))
    end_fy = models.PositiveSmallIntegerField(_("last fiscal year"))
    stage_label = models.CharField(
        _("name of level 1"), max_length=40, default="ステージ"
    )
    pillar_label = models.CharField(
        _("name of level 2"), max_length=40, default="推進項目"
    )
    initiative_label = models.CharField(
        _("name of level 3"), max_length=40, default="取組"
    )
    item_label = models.CharField(
        _("name of level 4"), max_length=40, default="取組項目"
    )
    stage_label_en = models.CharField(
        _("name of level 1 (English)"), max_length=40, default="Stage"
    )
    pillar_label_en = models.CharField(
        _("name of level 2 (English)"), max_length=40, default="Promotion item"
    )
    initiative_label_en = models.CharField(
        _("name of level 3 (English)"), max_length=40, default="Initiative"
    )
    item_label_en = models.CharField(
        _("name of level 4 (English)"), max_length=40, default="Action item"
    )
    org_unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("managed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_public = models.BooleanField(
        _("published to citizens"),
        default=False,
        help_text=_("Show a read-only view of progress and indicators to everyone."),
    )
    is_sample = models.BooleanField(_("sample data"), default=False)
    data_version = models.PositiveBigIntegerField(
        default=0,
        editable=False,
        help_text=_("Raised by every change to the plan; keys the rollup cache."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reform plan")
        verbose_name_plural = _("reform plans")
        ordering = ["-end_fy", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_fy__gte=models.F("start_fy")),
                name="reforms_plan_period_order",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    def label(self, level: str) -> str:
        """The city's own name of a level ("stage", "pillar", "initiative", "item")."""
        language = get_language() or "ja"
        suffix = "_en" if language.startswith("en") else ""
        return str(getattr(self, f"{level}_label{suffix}"))


class Stage(Named):
    """A stage of the plan (ステージ) with its goal and period."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="stages")
    code = models.CharField(_("code"), max_length=30)
    goal = models.TextField(_("goal"), blank=True)
    start_fy = models.PositiveSmallIntegerField(_("first fiscal year"))
    end_fy = models.PositiveSmallIntegerField(_("last fiscal year"))
    sort_order = models.PositiveIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["plan_id", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "code"], name="reforms_stage_unique_code"
            ),
            models.CheckConstraint(
                condition=models.Q(end_fy__gte=models.F("start_fy")),
                name="reforms_stage_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"


class Pillar(Named):
    """A promotion item (推進項目): one of the plan's main lines of reform."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="pillars")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="pillars")
    code = models.CharField(_("code"), max_length=30)
    aim = models.TextField(_("aim"), blank=True)
    weight = models.DecimalField(
        _("weight"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    sort_order = models.PositiveIntegerField(_("display order"), default=0)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        verbose_name = _("promotion item")
        verbose_name_plural = _("promotion items")
        ordering = ["plan_id", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "code"], name="reforms_pillar_unique_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"


class Initiative(Named):
    """An initiative (取組) under a promotion item, led by a bureau or section."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="initiatives")
    pillar = models.ForeignKey(
        Pillar, on_delete=models.PROTECT, related_name="initiatives"
    )
    code = models.CharField(_("code"), max_length=30)
    description = models.TextField(_("description"), blank=True)
    org_unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("lead unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    weight = models.DecimalField(
        _("weight"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    sort_order = models.PositiveIntegerField(_("display order"), default=0)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        ordering = ["plan_id", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "code"], name="reforms_initiative_unique_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"


class ActionItem(Named):
    """An action item (取組項目): the unit a bureau reports progress on.

    ``bureau`` is the bureau (局) of ``org_unit``, kept by the services so that
    per-bureau rollups and permission checks need no tree walk.
    """

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="action_items"
    )
    initiative = models.ForeignKey(
        Initiative, on_delete=models.PROTECT, related_name="action_items"
    )
    code = models.CharField(_("code"), max_length=30)
    description = models.TextField(_("description"), blank=True)
    org_unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    bureau = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("bureau"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    weight = models.DecimalField(
        _("weight"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    sort_order = models.PositiveIntegerField(_("display order"), default=0)
    indicators: "models.ManyToManyField[Indicator, Any]" = models.ManyToManyField(
        "Indicator",
        verbose_name=_("related indicators"),
        blank=True,
        related_name="action_items",
    )
    is_sample = models.BooleanField(_("sample data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["plan_id", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "code"], name="reforms_actionitem_unique_code"
            )
        ]
        indexes = [
            models.Index(fields=["plan", "bureau"]),
            models.Index(fields=["plan", "sort_order", "code"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"


class ScheduleEntry(models.Model):
    """What an action item plans to do in a fiscal year or one of its quarters."""

    item = models.ForeignKey(
        ActionItem, on_delete=models.CASCADE, related_name="schedule"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    quarter = models.PositiveSmallIntegerField(
        _("quarter"),
        default=0,
        validators=[MaxValueValidator(4)],
        help_text=_("1–4, or 0 for the whole year."),
    )
    description = models.CharField(_("planned work"), max_length=500)

    class Meta:
        verbose_name = _("schedule entry")
        verbose_name_plural = _("schedule entries")
        ordering = ["item_id", "fiscal_year", "quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "fiscal_year", "quarter"],
                name="reforms_schedule_unique_slot",
            ),
            models.CheckConstraint(
                condition=models.Q(quarter__lte=4), name="reforms_schedule_quarter"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} FY{self.fiscal_year} Q{self.quarter}"


class Milestone(models.Model):
    """A dated milestone of an action item, and when it was reached."""

    item = models.ForeignKey(
        ActionItem, on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(_("milestone"), max_length=300)
    due_on = models.DateField(_("due"))
    done_on = models.DateField(_("reached on"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["item_id", "due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "title"], name="reforms_milestone_unique_title"
            )
        ]

    def __str__(self) -> str:
        return self.title


class ReportingPeriod(models.Model):
    """A period bureaus report on (報告期間): a fiscal year, half or quarter.

    ``code`` is ``FY2022``, ``FY2022-H1`` or ``FY2022-Q3``.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="periods")
    code = models.CharField(_("code"), max_length=20)
    kind = models.CharField(_("kind"), max_length=10, choices=PeriodKind.choices)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    number = models.PositiveSmallIntegerField(_("number in the year"), default=0)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    deadline = models.DateField(_("reporting deadline"))
    is_closed = models.BooleanField(
        _("closed"),
        default=False,
        help_text=_("A closed period takes no more reports or changes."),
    )
    closed_at = models.DateTimeField(
        _("closed at"),
        null=True,
        blank=True,
        help_text=_("Reports on the period show what was approved at this moment."),
    )

    class Meta:
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        ordering = ["plan_id", "ends_on", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "code"], name="reforms_period_unique_code"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="reforms_period_order",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        from yorisou.reforms.periods import period_label

        return period_label(self.kind, self.fiscal_year, self.number)


class StatusReport(models.Model):
    """The status of one action item in one period (進捗報告), and its review.

    The working values (``status``, ``reason``, ``progress``, ``narrative``) are what
    the bureau writes. The ``approved_*`` values are a copy taken when the reform
    office approves; rollups read only those, so a report being revised keeps
    counting as last approved. Every change also appends a ``StatusReportEvent``.
    """

    item = models.ForeignKey(
        ActionItem, on_delete=models.CASCADE, related_name="status_reports"
    )
    period = models.ForeignKey(
        ReportingPeriod, on_delete=models.CASCADE, related_name="status_reports"
    )
    state = models.CharField(
        _("review state"),
        max_length=12,
        choices=ReportState.choices,
        default=ReportState.DRAFT,
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    reason = models.TextField(_("reason"), blank=True)
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    narrative = models.TextField(_("narrative"), blank=True)
    review_comment = models.TextField(_("reviewer's comment"), blank=True)
    approved_status = models.CharField(
        _("approved status"), max_length=12, choices=Status.choices, blank=True
    )
    approved_reason = models.TextField(_("approved reason"), blank=True)
    approved_progress = models.PositiveSmallIntegerField(
        _("approved progress (%)"), null=True, blank=True
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("status report")
        verbose_name_plural = _("status reports")
        ordering = ["period_id", "item_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "period"], name="reforms_statusreport_one_per_period"
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100),
                name="reforms_statusreport_progress",
            ),
        ]
        indexes = [models.Index(fields=["period", "approved_status"])]

    def __str__(self) -> str:
        return f"{self.item.code} {self.period.code}"


class StatusReportEvent(models.Model):
    """One step in a status report's history (append-only; never edited)."""

    report = models.ForeignKey(
        StatusReport, on_delete=models.CASCADE, related_name="events"
    )
    seq = models.PositiveIntegerField()
    action = models.CharField(_("action"), max_length=10, choices=ReportAction.choices)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, choices=ReportState.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    reason = models.TextField(_("reason"), blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"))
    narrative = models.TextField(_("narrative"), blank=True)
    comment = models.TextField(_("comment"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_repr = models.CharField(_("by"), max_length=200)
    created_at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("status report history")
        verbose_name_plural = _("status report history")
        ordering = ["report_id", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "seq"], name="reforms_statusevent_unique_seq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.report_id} #{self.seq} {self.action}"


class ReminderLog(models.Model):
    """A reminder sent for a period to one bureau, so that it is sent only once."""

    period = models.ForeignKey(
        ReportingPeriod, on_delete=models.CASCADE, related_name="reminders"
    )
    bureau = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20)  # "due_soon" or "overdue"
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "bureau", "kind"], name="reforms_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period_id} {self.bureau_id} {self.kind}"


class Indicator(Named):
    """A verification indicator (検証指標): baseline, yearly actuals and targets.

    ``direction`` says which way is better; ``target_kind`` says whether a target
    is a floor (at least) or a ceiling (at most): 市債残高 may grow, but not past
    its ceiling.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("code"), max_length=30)
    group = models.CharField(_("group"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=20)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices
    )
    target_kind = models.CharField(
        _("target kind"), max_length=10, choices=TargetKind.choices
    )
    baseline_year = models.PositiveSmallIntegerField(_("baseline fiscal year"))
    baseline_value = models.DecimalField(
        _("baseline value"), max_digits=20, decimal_places=4
    )
    decimals = models.PositiveSmallIntegerField(
        _("decimal places shown"), default=1, validators=[MaxValueValidator(4)]
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    org_unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("responsible section"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    sort_order = models.PositiveIntegerField(_("display order"), default=0)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        verbose_name = _("verification indicator")
        verbose_name_plural = _("verification indicators")
        ordering = ["plan_id", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "code"], name="reforms_indicator_unique_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"


class IndicatorValue(models.Model):
    """One fiscal year's actual or target value of an indicator."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="values"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    kind = models.CharField(_("kind"), max_length=10, choices=ValueKind.choices)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4)
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["indicator_id", "fiscal_year", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "fiscal_year", "kind"],
                name="reforms_indicatorvalue_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} FY{self.fiscal_year} {self.kind}"


class Series(Named):
    """An operational time series (e.g. マイナンバーカード申請率, コンビニ交付の割合).

    Points come from the UI, from an import, or from other apps through
    ``reforms.services.series_point_record``. Series with the same ``chart`` key are
    drawn together.
    """

    plan = models.ForeignKey(
        Plan,
        verbose_name=_("shown on plan"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="series",
    )
    code = models.SlugField(_("code"), max_length=80, unique=True)
    unit = models.CharField(_("unit"), max_length=20)
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices
    )
    chart = models.SlugField(
        _("chart"),
        max_length=80,
        blank=True,
        help_text=_("Series with the same chart key are drawn together."),
    )
    decimals = models.PositiveSmallIntegerField(
        _("decimal places shown"), default=1, validators=[MaxValueValidator(4)]
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    org_unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("responsible section"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    sort_order = models.PositiveIntegerField(_("display order"), default=0)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        verbose_name = _("time series")
        verbose_name_plural = _("time series")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.display_name


class SeriesPoint(models.Model):
    """One point of a series: the value at (or for the period starting on) a date."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="points")
    on = models.DateField(_("date"))
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4)
    origin = models.CharField(
        _("origin"), max_length=40, blank=True, help_text=_("manual, import or an app")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("series point")
        verbose_name_plural = _("series points")
        ordering = ["series_id", "on"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "on"], name="reforms_seriespoint_unique_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.series.code} {self.on}"
