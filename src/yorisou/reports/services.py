"""The report generator (進捗報告書): asks every chosen section for its pages and
renders them as pptx, pdf or xlsx."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from yorisou.core import audit, permissions
from yorisou.reports.content import Report
from yorisou.reports.registry import SectionContext, ordered_sections

if TYPE_CHECKING:
    from yorisou.reports.models import GeneratedReport

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


def report_request(
    *, actor: Any, plan: Any, period: Any = None, fmt: str
) -> "GeneratedReport":
    """Ask for a report file (作成依頼); a task builds it after commit and keeps
    it with who asked and when."""
    from django.db import transaction

    from yorisou.reports import tasks
    from yorisou.reports.models import GeneratedReport

    if not permissions.is_staff_member(actor):
        raise permissions.PermissionDenied
    if fmt not in FORMATS:
        raise ValidationError({"format": _("Choose pptx, pdf or xlsx.")})
    with transaction.atomic():
        generated = GeneratedReport.objects.create(
            plan=plan,
            period=period,
            fmt=fmt,
            created_by=actor,
            created_at=timezone.now(),
        )
        audit.record(
            actor=actor,
            action="reports.report.request",
            target=generated,
            changes={"format": [None, fmt], "plan": [None, plan.code]},
        )
        report_id = generated.pk
        transaction.on_commit(lambda: tasks.report_build.delay(report_id))
    return generated


def report_build_file(*, report_id: int) -> None:
    """Build the file of a requested report (the task's work). Idempotent: a
    report already done is left alone."""
    from django.core.files.base import ContentFile

    from yorisou.reports.models import GeneratedReport

    generated = (
        GeneratedReport.objects.select_related("plan", "period", "created_by")
        .filter(pk=report_id)
        .first()
    )
    if generated is None or generated.state == GeneratedReport.State.DONE:
        return
    GeneratedReport.objects.filter(pk=report_id).update(
        state=GeneratedReport.State.RUNNING, progress=10
    )
    try:
        content = report_generate(
            actor=generated.created_by or permissions.SYSTEM,
            plan=generated.plan,
            period=generated.period,
            fmt=generated.fmt,
        )
    except Exception as exc:  # recorded for the screen; the worker logs it too
        GeneratedReport.objects.filter(pk=report_id).update(
            state=GeneratedReport.State.FAILED, error=str(exc)[:2000]
        )
        raise
    period = generated.period.code if generated.period else "all"
    name = f"{generated.plan.code}-{period}-{generated.pk}.{generated.fmt}"
    generated.file.save(name, ContentFile(content), save=False)
    generated.size = len(content)
    generated.state = GeneratedReport.State.DONE
    generated.progress = 100
    generated.finished_at = timezone.now()
    generated.save(update_fields=["file", "size", "state", "progress", "finished_at"])
