"""Online applications (オンライン申請): versioned forms, applications, their
history, attachments and messages."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yorisou.eforms.constants import Assurance, MessageKind, State, VersionState
from yorisou.eforms.storage import private_storage


class FormDefinition(models.Model):
    """The online form of one procedure (its versions hold the fields)."""

    procedure = models.OneToOneField(
        "procedures.Procedure",
        verbose_name=_("procedure"),
        on_delete=models.PROTECT,
        related_name="online_form",
    )
    slug = models.SlugField(_("address in the portal"), max_length=60, unique=True)
    section = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assurance = models.CharField(
        _("identity needed"),
        max_length=10,
        choices=Assurance.choices,
        default=Assurance.ACCOUNT,
    )
    sla_days = models.PositiveSmallIntegerField(
        _("answer within (business days)"), default=10
    )
    is_open = models.BooleanField(_("accepting applications"), default=False)
    current_version = models.ForeignKey(
        "FormVersion",
        verbose_name=_("published version in use"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_sample = models.BooleanField(_("sample data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("online form")
        verbose_name_plural = _("online forms")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class FormVersion(models.Model):
    """One version of a form. A published version never changes; every
    application keeps the version it was filled with."""

    definition = models.ForeignKey(
        FormDefinition, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=VersionState.choices,
        default=VersionState.DRAFT,
    )
    schema = models.JSONField(_("form definition"))
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")
        ordering = ["definition", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "number"], name="eforms_version_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.definition_id} v{self.number}"

    def title(self, lang: str | None = None) -> str:
        """The form's title in ``lang`` (Japanese when no English is given)."""
        titles: Any = self.schema.get("title") or {}
        if isinstance(titles, str):
            return titles
        lang = (lang or get_language() or "ja")[:2]
        return str(titles.get(lang) or titles.get("ja") or "")


class Application(models.Model):
    """One application: a citizen's draft until submitted, then a case in the
    back office."""

    # unique through Meta.constraints (a plain unique CharField gets a second,
    # LIKE-pattern index on PostgreSQL that no query uses)
    # NULL for drafts, so that only submitted applications must differ
    reference = models.CharField(  # noqa: DJ001
        _("reference number"), max_length=24, null=True, blank=True
    )
    # applicant, section and definition: the composite indexes below start with
    # them, so they need no index of their own (fewer index writes per submission)
    definition = models.ForeignKey(
        FormDefinition,
        on_delete=models.PROTECT,
        related_name="applications",
        db_index=False,
    )
    version = models.ForeignKey(
        FormVersion, on_delete=models.PROTECT, related_name="applications"
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        related_name="applications",
        db_index=False,
    )
    section = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("section"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_applications",
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.DRAFT
    )
    # A key the form or an API client sends with the submission: the same key
    # never makes a second application.
    idempotency_key = models.CharField(max_length=100)  # unique: Meta.constraints
    data = models.JSONField(_("answers"), default=dict)
    # My Number values, encrypted with core.crypto (never in ``data``).
    secrets = models.TextField(blank=True, default="")
    computed = models.JSONField(default=dict)
    current_step = models.CharField(max_length=60, blank=True)
    flagged_fields = models.JSONField(_("fields to correct"), default=list, blank=True)
    assurance = models.CharField(_("identity at submission"), max_length=10, blank=True)
    verified = models.JSONField(_("verified answers"), default=list, blank=True)
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    due_on = models.DateField(_("answer due"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    receipt = models.FileField(
        _("receipt"), storage=private_storage, upload_to="receipts/", blank=True
    )
    # what the tasks have done (they run again after a failure, so they check)
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    notified_seq = models.PositiveIntegerField(default=0)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(
                fields=["section", "state", "due_on"], name="eforms_app_inbox"
            ),
            models.Index(fields=["applicant", "state"], name="eforms_app_mine"),
            models.Index(
                fields=["definition", "submitted_at"], name="eforms_app_stats"
            ),
            # the periodic sweep: submitted, receipt not sent yet (a few rows)
            models.Index(
                fields=["submitted_at"],
                name="eforms_app_receipt_due",
                condition=Q(receipt_sent_at__isnull=True) & ~Q(state="draft"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="eforms_app_reference"),
            models.UniqueConstraint(
                fields=["idempotency_key"], name="eforms_app_idempotency_key"
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"draft {self.pk}"


class ApplicationStatus(models.Model):
    """The append-only history of an application (状況の履歴)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="statuses"
    )
    seq = models.PositiveIntegerField()
    action = models.CharField(_("action"), max_length=30)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, choices=State.choices)
    reason = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    by_applicant = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("application status")
        verbose_name_plural = _("application statuses")
        ordering = ["application", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "seq"], name="eforms_status_seq_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} #{self.seq} {self.to_state}"


class Attachment(models.Model):
    """A file uploaded with an application; stored outside the web root."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    field = models.CharField(_("field"), max_length=120)
    file = models.FileField(storage=private_storage, upload_to="attachments/")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["application", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    """A message to or from the applicant, or an internal comment of staff."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    body = models.TextField(_("message"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["application", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind}"


class MessageTemplate(models.Model):
    """A standard text for messages to applicants (定型文), per section or for all."""

    code = models.SlugField(_("code"), max_length=60)
    section = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("section"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=100)
    body_ja = models.TextField(_("text (Japanese)"))
    body_en = models.TextField(_("text (English)"), blank=True)
    sort_order = models.PositiveIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "section"], name="eforms_template_code_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title


class ApplicationExport(models.Model):
    """A bulk export of applications for core systems (CSV or Excel), built by a
    task and kept for the staff member who asked."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    definition = models.ForeignKey(
        FormDefinition, on_delete=models.CASCADE, related_name="exports"
    )
    fmt = models.CharField(_("format"), max_length=4)
    states = models.JSONField(_("states"), default=list)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.QUEUED
    )
    rows = models.PositiveIntegerField(_("rows"), default=0)
    file = models.FileField(storage=private_storage, upload_to="exports/", blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("application export")
        verbose_name_plural = _("application exports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.definition_id} {self.fmt} {self.created_at:%Y-%m-%d %H:%M}"
