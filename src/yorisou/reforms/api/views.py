"""API of the reform plan: plans with rollups, action items, status reports and
their workflow, indicators with values, time series. Reads for staff; writes for
the roles the services allow (403 otherwise, 400 with field details on bad input).
"""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from yorisou.accounts import selectors as account_selectors
from yorisou.core import permissions
from yorisou.reforms import selectors, services
from yorisou.reforms.api.serializers import (
    ActionItemInputSerializer,
    ActionItemSerializer,
    IndicatorSerializer,
    IndicatorValueInputSerializer,
    PlanSerializer,
    ReviewInputSerializer,
    SeriesPointInputSerializer,
    SeriesPointSerializer,
    SeriesSerializer,
    StatusReportInputSerializer,
    StatusReportSerializer,
)
from yorisou.reforms.models import (
    ActionItem,
    Indicator,
    Initiative,
    Plan,
    ReportingPeriod,
    Series,
    StatusReport,
)

PLAN_PARAM = OpenApiParameter("plan", str, required=True, description="Plan code")
PERIOD_PARAM = OpenApiParameter("period", str, description="Period code, e.g. FY2022")


def _staff(request: Request) -> None:
    if not permissions.is_staff_member(request.user):
        raise PermissionDenied


def _plan(request: Request, code: str | None) -> Plan:
    try:
        return selectors.plan_get(actor=request.user, code=code or "")
    except Plan.DoesNotExist:
        raise Http404 from None


def _period(plan: Plan, code: str | None) -> ReportingPeriod | None:
    periods = selectors.period_list(plan=plan)
    if code:
        for period in periods:
            if period.code == code:
                return period
        raise Http404
    return selectors.period_default(periods, plan=plan)


def _counts(counts: selectors.StatusCounts) -> dict[str, Any]:
    return {
        **counts.counts,
        "not_reported": counts.not_reported,
        "total": counts.total,
    }


def _progress(value: Any) -> str | None:
    return None if value is None else str(round(value, 2))


class PlanViewSet(viewsets.ReadOnlyModelViewSet[Plan]):
    """Reform plans (改革計画) with their reporting periods."""

    serializer_class = PlanSerializer
    queryset = Plan.objects.none()
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[Plan]:
        _staff(self.request)
        return selectors.plan_list(actor=self.request.user).prefetch_related("periods")

    @extend_schema(parameters=[PERIOD_PARAM], responses={200: dict})
    @action(detail=True)
    def rollup(self, request: Request, code: str | None = None) -> Response:
        """Counts per approved status and weighted progress: overall, per stage,
        promotion item and bureau, for one period (default: the latest approved)."""
        _staff(request)
        plan = _plan(request, code)
        period = _period(plan, request.query_params.get("period"))
        rollup = selectors.status_rollup(actor=request.user, plan=plan, period=period)
        return Response(
            {
                "plan": plan.code,
                "period": period.code if period else None,
                "overall": _counts(rollup.overall),
                "progress": _progress(rollup.progress),
                "stages": [
                    {
                        "code": r.obj.code,
                        "counts": _counts(r.counts),
                        "progress": _progress(r.progress),
                    }
                    for r in rollup.stages
                ],
                "pillars": [
                    {
                        "code": r.obj.code,
                        "name": r.obj.name,
                        "counts": _counts(r.counts),
                        "progress": _progress(r.progress),
                    }
                    for r in rollup.pillars
                ],
                "bureaus": [
                    {
                        "code": r.obj.code,
                        "name": r.obj.name,
                        "counts": _counts(r.counts),
                        "progress": _progress(r.progress),
                    }
                    for r in rollup.bureaus
                ],
            }
        )


@extend_schema(
    parameters=[
        PLAN_PARAM,
        PERIOD_PARAM,
        OpenApiParameter("bureau", str),
        OpenApiParameter("pillar", str),
        OpenApiParameter("status", str),
    ]
)
class ActionItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[ActionItem],
):
    """Action items (取組項目) of a plan with their approved status for a period;
    the reform office creates and changes them (codes, not ids, in the input)."""

    serializer_class = ActionItemSerializer
    queryset = ActionItem.objects.none()
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[ActionItem]:
        _staff(self.request)
        if self.action not in ("list", "retrieve"):
            return ActionItem.objects.select_related(
                "plan", "initiative", "initiative__pillar", "org_unit", "bureau"
            )
        params = self.request.query_params
        if self.action == "retrieve" and not params.get("plan"):
            return ActionItem.objects.select_related(
                "plan", "initiative", "initiative__pillar", "org_unit", "bureau"
            )
        plan = _plan(self.request, params.get("plan"))
        period = _period(plan, params.get("period"))
        return selectors.action_item_list(
            actor=self.request.user,
            plan=plan,
            period=period,
            filters=selectors.ItemFilter(
                bureau=params.get("bureau", ""),
                pillar=params.get("pillar", ""),
                status=params.get("status", ""),
            ),
        ).select_related("plan")

    def _apply(self, item: ActionItem, values: dict[str, Any]) -> None:
        if "initiative" in values:
            initiative = Initiative.objects.filter(
                plan_id=item.plan_id, code=values.pop("initiative")
            ).first()
            if initiative is None:
                raise ValidationError({"initiative": _("No initiative has this code.")})
            item.initiative = initiative
        if "org_unit" in values:
            unit = account_selectors.org_unit_by_codes({values["org_unit"]}).get(
                values.pop("org_unit")
            )
            if unit is None:
                raise ValidationError(
                    {"org_unit": _("No organisation unit has this code.")}
                )
            item.org_unit = unit
        for name, value in values.items():
            setattr(item, name, value)

    @extend_schema(request=ActionItemInputSerializer, responses=ActionItemSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Add an action item (plan, code, initiative, name, org_unit required)."""
        _staff(request)
        data = ActionItemInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        missing = [
            f
            for f in ("plan", "code", "initiative", "name", "org_unit")
            if f not in values
        ]
        if missing:
            raise ValidationError({f: _("This field is required.") for f in missing})
        plan = _plan(request, values.pop("plan"))
        item = ActionItem(plan=plan)
        self._apply(item, values)
        services.action_item_save(actor=request.user, item=item, created=True)
        return Response(
            ActionItemSerializer(self.get_queryset().get(pk=item.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ActionItemInputSerializer, responses=ActionItemSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change some fields of an action item."""
        _staff(request)
        item = self.get_object()
        data = ActionItemInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("plan", None)
        self._apply(item, values)
        services.action_item_save(actor=request.user, item=item, created=False)
        return Response(ActionItemSerializer(self.get_queryset().get(pk=item.pk)).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)


_REPORT_ACTIONS: dict[str, Callable[..., Any]] = {
    "submit": services.status_report_submit,
    "approve": services.status_report_approve,
    "return": services.status_report_return,
    "reopen": services.status_report_reopen,
}


@extend_schema(parameters=[PLAN_PARAM, PERIOD_PARAM, OpenApiParameter("state", str)])
class StatusReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[StatusReport],
):
    """Status reports (進捗報告): list, write a draft, and the review workflow."""

    serializer_class = StatusReportSerializer
    queryset = StatusReport.objects.none()

    def get_queryset(self) -> QuerySet[StatusReport]:
        _staff(self.request)
        reports = StatusReport.objects.select_related(
            "item", "item__plan", "item__org_unit", "period"
        ).prefetch_related("events")
        if self.action != "list":
            return reports
        params = self.request.query_params
        plan = _plan(self.request, params.get("plan"))
        reports = reports.filter(item__plan=plan)
        if params.get("period"):
            reports = reports.filter(period__code=params["period"])
        if params.get("state"):
            reports = reports.filter(state=params["state"])
        return reports.order_by("period__ends_on", "item__sort_order", "item__code")

    @extend_schema(
        request=StatusReportInputSerializer, responses=StatusReportSerializer
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Write or revise the draft of an item's report (bureau staff, reform lead)."""
        _staff(request)
        data = StatusReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        plan = _plan(request, values["plan"])
        try:
            item = ActionItem.objects.select_related("org_unit", "plan").get(
                plan=plan, code=values["item"]
            )
            period = plan.periods.get(code=values["period"])
        except (ActionItem.DoesNotExist, ReportingPeriod.DoesNotExist):
            raise Http404 from None
        report = services.status_report_save(
            actor=request.user,
            item=item,
            period=period,
            status=values["status"],
            reason=values["reason"],
            progress=values["progress"],
            narrative=values["narrative"],
            version=values["version"],
        )
        return Response(
            StatusReportSerializer(self.get_queryset().get(pk=report.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def _act(self, request: Request, name: str) -> Response:
        report = self.get_object()
        data = ReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kwargs: dict[str, Any] = {
            "actor": request.user,
            "report": report,
            "version": data.validated_data["version"],
        }
        if name in ("approve", "return"):
            kwargs["comment"] = data.validated_data["comment"]
        _REPORT_ACTIONS[name](**kwargs)
        return Response(
            StatusReportSerializer(self.get_queryset().get(pk=report.pk)).data
        )

    @extend_schema(request=ReviewInputSerializer, responses=StatusReportSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """The bureau's reform lead submits the report to the reform office."""
        return self._act(request, "submit")

    @extend_schema(request=ReviewInputSerializer, responses=StatusReportSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """The reform office approves: the values now count in rollups."""
        return self._act(request, "approve")

    @extend_schema(request=ReviewInputSerializer, responses=StatusReportSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        """The reform office returns the report with a comment (required)."""
        return self._act(request, "return")

    @extend_schema(request=ReviewInputSerializer, responses=StatusReportSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        """Take a submitted or approved report back into draft."""
        return self._act(request, "reopen")


@extend_schema(parameters=[PLAN_PARAM])
class IndicatorViewSet(viewsets.ReadOnlyModelViewSet[Indicator]):
    """Verification indicators (検証指標) with values and their assessment."""

    serializer_class = IndicatorSerializer
    queryset = Indicator.objects.none()

    def get_queryset(self) -> QuerySet[Indicator]:
        _staff(self.request)
        indicators = Indicator.objects.select_related("plan")
        if self.action == "list":
            plan = _plan(self.request, self.request.query_params.get("plan"))
            indicators = indicators.filter(plan=plan)
        return indicators.order_by("sort_order", "code")

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if getattr(self, "swagger_fake_view", False):
            return context
        plans: dict[int, Plan] = {}
        if self.action == "list":
            plan = _plan(self.request, self.request.query_params.get("plan"))
            plans[plan.pk] = plan
        elif self.kwargs.get("pk"):
            indicator = (
                Indicator.objects.select_related("plan")
                .filter(pk=self.kwargs["pk"])
                .first()
            )
            if indicator:
                plans[indicator.plan_id] = indicator.plan
        rows = {}
        for plan in plans.values():
            table = selectors.indicator_table(actor=self.request.user, plan=plan)
            for row in table.rows:
                rows[row.indicator.pk] = row
        context["rows"] = rows
        return context

    @extend_schema(request=IndicatorValueInputSerializer, responses=IndicatorSerializer)
    @action(detail=True, methods=["post"])
    def values(self, request: Request, pk: str | None = None) -> Response:
        """Record a fiscal year's actual or target value (upsert)."""
        indicator = self.get_object()
        data = IndicatorValueInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.indicator_value_record(
            actor=request.user, indicator=indicator, **data.validated_data
        )
        return Response(self.get_serializer(self.get_object()).data)


class SeriesViewSet(viewsets.ReadOnlyModelViewSet[Series]):
    """Operational time series with their points."""

    serializer_class = SeriesSerializer
    queryset = Series.objects.none()
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[Series]:
        _staff(self.request)
        series = Series.objects.select_related("plan").prefetch_related("points")
        plan = self.request.query_params.get("plan")
        if plan:
            series = series.filter(plan__code=plan)
        return series.order_by("sort_order", "code")

    @extend_schema(request=SeriesPointInputSerializer, responses=SeriesPointSerializer)
    @action(detail=True, methods=["post"])
    def points(self, request: Request, code: str | None = None) -> Response:
        """Record the value at a date (upsert): for BI tools and other systems."""
        series = self.get_object()
        data = SeriesPointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        point = services.series_point_record(
            actor=request.user, series=series, origin="api", **data.validated_data
        )
        return Response(
            SeriesPointSerializer(point).data, status=status.HTTP_201_CREATED
        )
