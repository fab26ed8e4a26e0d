"""The report generator (進捗報告書): asks every chosen section for its pages and
renders them as pptx, pdf or xlsx."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from yorisou.core import audit, permissions
from yorisou.core.constants import Role
from yorisou.reports import selectors
from yorisou.reports.content import Report
from yorisou.reports.registry import SectionContext, ordered_sections, sections

if TYPE_CHECKING:
    from yorisou.reports.models import GeneratedReport

FORMATS = ("pptx", "pdf", "xlsx")


def report_build(
    *,
    actor: Any,
    plan: Any,
    period: Any = None,
    chosen: list[str] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Report:
    """The content of the report on ``plan`` for ``period`` (staff only): the
    sections ``chosen``, else the plan's layout, else every section."""
    if not permissions.is_staff_member(actor) and actor is not permissions.SYSTEM:
        raise permissions.PermissionDenied
    if chosen is None:
        chosen = selectors.report_layout_chosen(plan=plan)
    context = SectionContext(actor=actor, plan=plan, period=period)
    report = Report(
        title=_("%(plan)s: progress report") % {"plan": plan.display_name},
        organisation=settings.YORISOU["CITY_NAME"] or settings.YORISOU["SITE_NAME"],
        period_label=period.label if period is not None else "",
        generated_at=timezone.localtime(),
    )
    parts = ordered_sections(chosen)
    for done, (_key, section) in enumerate(parts, start=1):
        report.pages.extend(section().pages(context))
        if on_progress is not None:
            on_progress(done, len(parts))
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
    on_progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """Build and render the report; the generation is recorded in the audit trail."""
    render = _renderer(fmt)
    content = render(
        report_build(
            actor=actor,
            plan=plan,
            period=period,
            chosen=chosen,
            on_progress=on_progress,
        )
    )
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

    def progress(done: int, total: int) -> None:
        # building the sections is most of the work; rendering is the last 20 %
        GeneratedReport.objects.filter(pk=report_id).update(
            progress=10 + (70 * done) // max(total, 1)
        )

    try:
        content = report_generate(
            actor=generated.created_by or permissions.SYSTEM,
            plan=generated.plan,
            period=generated.period,
            fmt=generated.fmt,
            on_progress=progress,
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


def report_layout_save(*, actor: Any, plan: Any, chosen: list[str]) -> list[str]:
    """Choose the sections of the plan's report and their order (reform office).

    Unknown sections are refused; a section named twice counts once. An empty
    choice is refused: a report needs at least one section.
    """
    from django.db import transaction

    from yorisou.reports.models import ReportLayout

    permissions.require_role(actor, Role.REFORM_OFFICE, Role.SYSTEM_ADMIN)
    unknown = [key for key in chosen if key not in sections]
    if unknown:
        raise ValidationError(
            {"sections": _("Unknown section: %(keys)s") % {"keys": ", ".join(unknown)}}
        )
    cleaned = list(dict.fromkeys(chosen))
    if not cleaned:
        raise ValidationError({"sections": _("Choose at least one section.")})
    with transaction.atomic():
        layout, _created = ReportLayout.objects.select_for_update().get_or_create(
            plan=plan, defaults={"sections": [], "updated_by": actor}
        )
        before = list(layout.sections)
        if before == cleaned and not _created:
            return cleaned
        layout.sections = cleaned
        layout.updated_by = actor
        layout.save()
        audit.record(
            actor=actor,
            action="reports.layout.update",
            target=plan,
            changes={"sections": [before or None, cleaned]},
        )
    return cleaned


def report_layout_reset(*, actor: Any, plan: Any) -> None:
    """Go back to every section in the default order (reform office)."""
    from django.db import transaction

    from yorisou.reports.models import ReportLayout

    permissions.require_role(actor, Role.REFORM_OFFICE, Role.SYSTEM_ADMIN)
    with transaction.atomic():
        layout = ReportLayout.objects.filter(plan=plan).first()
        if layout is None:
            return
        audit.record(
            actor=actor,
            action="reports.layout.reset",
            target=plan,
            changes={"sections": [list(layout.sections), None]},
        )
        layout.delete()
