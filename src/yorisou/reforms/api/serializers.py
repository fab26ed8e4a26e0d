"""Serializers of the reform plan API: one output serializer per model, and input
serializers for the writes (which go through the services)."""

from typing import Any

from rest_framework import serializers

from yorisou.reforms.constants import Status, ValueKind
from yorisou.reforms.models import (
    ActionItem,
    Indicator,
    Plan,
    ReportingPeriod,
    Series,
    SeriesPoint,
    StatusReport,
    StatusReportEvent,
)


class ReportingPeriodSerializer(serializers.ModelSerializer[ReportingPeriod]):
    class Meta:
        model = ReportingPeriod
        fields = [
            "code",
            "kind",
            "fiscal_year",
            "number",
            "starts_on",
            "ends_on",
            "deadline",
            "is_closed",
        ]


class PlanSerializer(serializers.ModelSerializer[Plan]):
    periods = ReportingPeriodSerializer(many=True, read_only=True)

    class Meta:
        model = Plan
        fields = [
            "code",
            "name",
            "name_en",
            "description",
            "start_fy",
            "end_fy",
            "stage_label",
            "pillar_label",
            "initiative_label",
            "item_label",
            "is_public",
            "is_sample",
            "periods",
        ]


class ActionItemSerializer(serializers.ModelSerializer[ActionItem]):
    plan = serializers.CharField(source="plan.code", read_only=True)
    initiative = serializers.CharField(source="initiative.code", read_only=True)
    pillar = serializers.CharField(source="initiative.pillar.code", read_only=True)
    org_unit = serializers.CharField(source="org_unit.code", read_only=True)
    bureau = serializers.CharField(source="bureau.code", read_only=True)
    report_state = serializers.CharField(read_only=True, default=None)
    approved_status = serializers.CharField(read_only=True, default=None)
    approved_progress = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "plan",
            "code",
            "pillar",
            "initiative",
            "name",
            "name_en",
            "description",
            "org_unit",
            "bureau",
            "weight",
            "report_state",
            "approved_status",
            "approved_progress",
            "is_sample",
        ]


class ActionItemInputSerializer(serializers.Serializer[Any]):
    """Create or change an action item (reform office). Codes, not ids."""

    plan = serializers.SlugField(required=False)
    code = serializers.CharField(max_length=30, required=False)
    initiative = serializers.CharField(max_length=30, required=False)
    name = serializers.CharField(max_length=300, required=False)
    name_en = serializers.CharField(max_length=300, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    org_unit = serializers.CharField(max_length=20, required=False)
    weight = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=0, required=False
    )
    sort_order = serializers.IntegerField(min_value=0, required=False)


class StatusReportEventSerializer(serializers.ModelSerializer[StatusReportEvent]):
    class Meta:
        model = StatusReportEvent
        fields = [
            "seq",
            "action",
            "from_state",
            "to_state",
            "status",
            "reason",
            "progress",
            "comment",
            "actor_repr",
            "created_at",
        ]


class StatusReportSerializer(serializers.ModelSerializer[StatusReport]):
    item = serializers.CharField(source="item.code", read_only=True)
    plan = serializers.CharField(source="item.plan.code", read_only=True)
    period = serializers.CharField(source="period.code", read_only=True)
    events = StatusReportEventSerializer(many=True, read_only=True)

    class Meta:
        model = StatusReport
        fields = [
            "id",
            "plan",
            "item",
            "period",
            "state",
            "status",
            "reason",
            "progress",
            "narrative",
            "review_comment",
            "approved_status",
            "approved_reason",
            "approved_progress",
            "approved_at",
            "version",
            "updated_at",
            "events",
        ]


class StatusReportInputSerializer(serializers.Serializer[Any]):
    """Write (or revise) the draft of an item's report for a period."""

    plan = serializers.SlugField()
    item = serializers.CharField(help_text="Action item code, e.g. 1-3-2")
    period = serializers.CharField(help_text="Period code, e.g. FY2023-H1")
    status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    progress = serializers.IntegerField(min_value=0, max_value=100)
    narrative = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False, allow_null=True, default=None)


class ReviewInputSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False, allow_null=True, default=None)


class IndicatorSerializer(serializers.ModelSerializer[Indicator]):
    plan = serializers.CharField(source="plan.code", read_only=True)
    actuals = serializers.SerializerMethodField()
    targets = serializers.SerializerMethodField()
    assessment = serializers.SerializerMethodField()

    class Meta:
        model = Indicator
        fields = [
            "id",
            "plan",
            "code",
            "group",
            "name",
            "name_en",
            "unit",
            "direction",
            "target_kind",
            "baseline_year",
            "baseline_value",
            "source",
            "notes",
            "actuals",
            "targets",
            "assessment",
        ]

    def _row(self, obj: Indicator) -> Any:
        rows = self.context.get("rows", {})
        return rows.get(obj.pk)

    def get_actuals(self, obj: Indicator) -> dict[str, str]:
        row = self._row(obj)
        return {str(y): str(v) for y, v in row.actuals.items()} if row else {}

    def get_targets(self, obj: Indicator) -> dict[str, str]:
        row = self._row(obj)
        return {str(y): str(v) for y, v in row.targets.items()} if row else {}

    def get_assessment(self, obj: Indicator) -> dict[str, Any]:
        row = self._row(obj)
        if row is None:
            return {}
        a = row.assessment
        return {
            "latest_year": a.latest_year,
            "latest_value": None if a.latest_value is None else str(a.latest_value),
            "target_year": a.target_year,
            "target_value": None if a.target_value is None else str(a.target_value),
            "achievement_rate": None if a.rate is None else str(round(a.rate, 1)),
            "judgement": str(a.judgement),
        }


class IndicatorValueInputSerializer(serializers.Serializer[Any]):
    fiscal_year = serializers.IntegerField(min_value=1900, max_value=2200)
    kind = serializers.ChoiceField(choices=ValueKind.choices)
    value = serializers.DecimalField(max_digits=20, decimal_places=4)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SeriesPointSerializer(serializers.ModelSerializer[SeriesPoint]):
    class Meta:
        model = SeriesPoint
        fields = ["on", "value", "origin"]


class SeriesSerializer(serializers.ModelSerializer[Series]):
    plan = serializers.CharField(source="plan.code", read_only=True, default=None)
    points = SeriesPointSerializer(many=True, read_only=True)

    class Meta:
        model = Series
        fields = [
            "code",
            "plan",
            "name",
            "name_en",
            "unit",
            "frequency",
            "chart",
            "source",
            "points",
        ]


class SeriesPointInputSerializer(serializers.Serializer[Any]):
    on = serializers.DateField()
    value = serializers.DecimalField(max_digits=20, decimal_places=4)


class RollupQuerySerializer(serializers.Serializer[Any]):
    period = serializers.CharField(required=False)
