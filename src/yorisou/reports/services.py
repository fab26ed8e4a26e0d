"""The report generator (進捗報告書): asks every chosen section for its pages and
renders them as pptx, pdf or xlsx."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from yorisou.core import audit, permissions
from yorisou.reports.content import Report
from yorisou.reports.registry import SectionContext, ordered_sections

FORMATS = ("pptx", "pdf", "xlsx")


def report_build(
    *, actor: Any, plan: Any, period: Any = None, chosen: list[str] | None = None
) -> Report:
    """The content of the report on ``plan`` for ``period`` (staff only)."""
    if not permissions.is_staff_member(actor) and actor is not permissions.SYSTEM:
        raise permissions.PermissionDenied
    context = SectionContext(actor=actor, plan=plan, period=period)
    report = Report(
        title=_("%(plan)s: progress report") % {"plan": plan.display_name},
        organisation=settings.YORISOU["CITY_NAME"] or settings.YORISOU["SITE_NAME"],
        period_label=period.label if period is not None else "",
        generated_at=timezone.localtime(),
    )
    for _key, section in ordered_sections(chosen):
        report.pages.extend(section().pages(context))
    return report


def _renderer(fmt: str) -> Callable[[Report], bytes]:
    """The renderer of a format (imported on use: each pulls a large library)."""
    if fmt == "xlsx":
        from yorisou.reports.render_xlsx import render_xlsx

        return render_xlsx
    if fmt == "pptx":
        from yorisou.reports.render_pptx import render_pptx

        return render_pptx
    if fmt == "pdf":
        from yorisou.reports.render_pdf import render_pdf

        return render_pdf
    raise ValidationError({"format": _("Choose pptx, pdf or xlsx.")})


def report_generate(
    *,
    actor: Any,
    plan: Any,
    period: Any = None,
    fmt: str,
    chosen: list[str] | None = None,
) -> bytes:
    """Build and render the report; the generation is recorded in the audit trail."""
    render = _renderer(fmt)
    content = render(report_build(actor=actor, plan=plan, period=period, chosen=chosen))
    audit.record(
        actor=actor,
        action="reports.report.generate",
        target=plan,
        changes={
            "format": [None, fmt],
            "period": [None, period.code if period is not None else None],
            "pages": [None, None],
        },
    )
    return content
