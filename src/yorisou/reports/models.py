"""Generated reports (作成した報告書): the file, who asked for it, and when."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class GeneratedReport(models.Model):
    """One generated progress report file, kept for the staff who may read it.

    Built by a task: ``state`` goes queued → running → done (or failed) and
    ``progress`` counts the sections built, so the screen can show it.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being built")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    plan = models.ForeignKey(
        "reforms.Plan", on_delete=models.CASCADE, related_name="generated_reports"
    )
    period = models.ForeignKey(
        "reforms.ReportingPeriod",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    fmt = models.CharField(_("format"), max_length=4)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), upload_to="reports/", blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("generated report")
        verbose_name_plural = _("generated reports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.fmt} {self.created_at:%Y-%m-%d %H:%M}"


class ReportLayout(models.Model):
    """The sections a plan's report shows, in its chosen order (報告書の構成).

    Without a layout a report shows every registered section in its default order.
    """

    plan = models.OneToOneField(
        "reforms.Plan", on_delete=models.CASCADE, related_name="report_layout"
    )
    sections = models.JSONField(_("sections"), default=list)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("report layout")
        verbose_name_plural = _("report layouts")

    def __str__(self) -> str:
        return f"{self.plan_id}: {', '.join(self.sections)}"
