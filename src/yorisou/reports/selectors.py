"""Reads of the report generator."""

from typing import Any

from django.db.models import QuerySet

from yorisou.core import permissions
from yorisou.reports.models import GeneratedReport, ReportLayout
from yorisou.reports.registry import ordered_sections


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


def report_layout_chosen(*, plan: Any) -> list[str] | None:
    """The sections the plan chose, in order, or None for every section."""
    layout = ReportLayout.objects.filter(plan=plan).only("sections").first()
    return list(layout.sections) if layout is not None else None


def report_layout(*, plan: Any) -> list[dict[str, Any]]:
    """Every registered section, the chosen ones first in their order, each with
    whether it is included and its position (for the layout screen)."""
    chosen = report_layout_chosen(plan=plan)
    every = ordered_sections()
    if chosen is None:
        included = [key for key, _section in every]
    else:
        included = [key for key in chosen if key in dict(every)]
    rows = [
        {
            "key": key,
            "section": dict(every)[key],
            "included": True,
            "position": index,
        }
        for index, key in enumerate(included, start=1)
    ]
    rows.extend(
        {"key": key, "section": section, "included": False, "position": None}
        for key, section in every
        if key not in included
    )
    return rows


def report_layout_editable(*, actor: Any) -> bool:
    """Whether the actor may choose the sections of a plan's report."""
    from yorisou.core.constants import Role

    return permissions.has_role(actor, Role.REFORM_OFFICE, Role.SYSTEM_ADMIN)
