"""Reads of the report generator."""

from typing import Any

from django.db.models import QuerySet

from yorisou.core import permissions
from yorisou.reports.models import GeneratedReport


def generated_report_list(*, actor: Any, plan: Any) -> QuerySet[GeneratedReport]:
    """The reports generated for a plan, newest first (staff)."""
    if not permissions.is_staff_member(actor):
        raise permissions.PermissionDenied
    return (
        GeneratedReport.objects.filter(plan=plan)
        .select_related("period", "created_by")
        .order_by("-created_at", "-id")
    )


def generated_report_get(*, actor: Any, pk: int) -> GeneratedReport:
    """One generated report, if the actor may read it (staff)."""
    if not permissions.is_staff_member(actor):
        raise permissions.PermissionDenied
    return GeneratedReport.objects.select_related("plan").get(pk=pk)
