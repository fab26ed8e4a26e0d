"""The procedure inventory (手続台帳): every procedure the city receives, its yearly
case volumes per channel, and the BPR triage that decides what goes online."""

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yorisou.procedures.constants import (
    Assurance,
    Channel,
    Kind,
    LegalBasis,
    TagKind,
    TriageClass,
    TriageReason,
    TriageStatus,
)


class Tag(models.Model):
    """A life event (出産, 引越し, 介護 …) or a category (子育て …) of procedures."""

    kind = models.CharField(_("kind"), max_length=20, choices=TagKind.choices)
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name (Japanese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    sort_order = models.PositiveIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["kind", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "code"], name="procedures_tag_unique"
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        language = get_language() or "ja"
        if language.startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Procedure(models.Model):
    """One administrative procedure (行政手続): an application, notification, request…

    ``bureau`` is derived from ``org_unit`` by the services; ``search_text`` holds the
    normalised name, keywords and their kana reading for search (also derived).
    """

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    org_unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("responsible section"),
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
    legal_basis_kind = models.CharField(
        _("legal basis"), max_length=20, choices=LegalBasis.choices
    )
    legal_basis = models.CharField(_("law and article"), max_length=300, blank=True)
    requires_presence = models.BooleanField(
        _("identity checked face to face"), default=False
    )
    requires_wet_signature = models.BooleanField(
        _("handwritten signature or seal"), default=False
    )
    fee = models.PositiveIntegerField(_("fee (yen)"), null=True, blank=True)
    attachments = models.TextField(_("required attachments"), blank=True)
    assurance = models.CharField(
        _("identity assurance online"),
        max_length=20,
        choices=Assurance.choices,
        default=Assurance.ACCOUNT,
    )
    national_26 = models.BooleanField(
        _("one of the 26 child-rearing and care procedures"), default=False
    )
    national_31 = models.BooleanField(
        _("one of the 31 national priority procedures"), default=False
    )
    keywords = models.CharField(_("keywords"), max_length=300, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True)
    search_text = models.TextField(editable=False, blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["bureau", "code"]),
            models.Index(
                fields=["national_26"],
                condition=Q(national_26=True),
                name="procedures_national_26",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProcedureVolume(models.Model):
    """Cases of a procedure in one fiscal year through one channel (年間件数)."""

    procedure = models.ForeignKey(
        Procedure, on_delete=models.CASCADE, related_name="volumes"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    cases = models.PositiveIntegerField(_("cases"))

    class Meta:
        verbose_name = _("annual volume")
        verbose_name_plural = _("annual volumes")
        ordering = ["procedure_id", "fiscal_year", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "fiscal_year", "channel"],
                name="procedures_volume_unique",
            )
        ]
        indexes = [models.Index(fields=["fiscal_year", "channel", "cases"])]

    def __str__(self) -> str:
        return f"{self.procedure_id} FY{self.fiscal_year} {self.channel}"


class CandidateSelection(models.Model):
    """One run of the candidate rule (優先候補の選定), with its parameters, so that
    every candidate can say by which rule it was chosen."""

    fiscal_year = models.PositiveSmallIntegerField(_("volumes of fiscal year"))
    min_cases = models.PositiveIntegerField(_("at least this many cases a year"))
    include_national = models.BooleanField(
        _("always include national priority procedures"), default=True
    )
    include_tags = models.ManyToManyField(
        Tag, verbose_name=_("always include these life events"), blank=True
    )
    note = models.TextField(_("note"), blank=True)
    selected = models.PositiveIntegerField(_("candidates selected"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("candidate selection")
        verbose_name_plural = _("candidate selections")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"FY{self.fiscal_year} ≥ {self.min_cases}"

    @property
    def rule(self) -> dict[str, Any]:
        return {
            "fiscal_year": self.fiscal_year,
            "min_cases": self.min_cases,
            "include_national": self.include_national,
        }


class TriageDecision(models.Model):
    """A BPR decision on a procedure (BPRによる区分): candidate or not, ① / ② / ③
    with a reason, target period, owner and status.

    Decisions are never edited: a revision adds a row and the previous one stops
    being current (one current row per procedure, enforced by the database).
    """

    procedure = models.ForeignKey(
        Procedure, on_delete=models.CASCADE, related_name="decisions"
    )
    is_current = models.BooleanField(default=True)
    selection = models.ForeignKey(
        CandidateSelection,
        verbose_name=_("selected by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    is_candidate = models.BooleanField(_("priority candidate"), default=True)
    triage_class = models.CharField(
        _("classification"), max_length=20, choices=TriageClass.choices, blank=True
    )
    reason = models.CharField(
        _("reason"), max_length=20, choices=TriageReason.choices, blank=True
    )
    reason_text = models.TextField(_("reason in words"), blank=True)
    target_fy = models.PositiveSmallIntegerField(
        _("target fiscal year"), null=True, blank=True
    )
    target_quarter = models.PositiveSmallIntegerField(
        _("target quarter"),
        default=0,
        validators=[MaxValueValidator(4)],
        help_text=_("1–4, or 0 for the whole year."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("Online-ization status"),
        max_length=20,
        choices=TriageStatus.choices,
        default=TriageStatus.NOT_STARTED,
    )
    done_on = models.DateField(_("online since"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("triage decision")
        verbose_name_plural = _("triage decisions")
        ordering = ["procedure_id", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure"],
                condition=Q(is_current=True),
                name="procedures_decision_one_current",
            ),
            models.CheckConstraint(
                condition=Q(target_quarter__lte=4), name="procedures_decision_quarter"
            ),
            models.CheckConstraint(
                condition=~Q(status=TriageStatus.ONLINE) | Q(done_on__isnull=False),
                name="procedures_decision_online_has_date",
            ),
        ]
        indexes = [models.Index(fields=["is_current", "triage_class", "status"])]

    def __str__(self) -> str:
        return f"{self.procedure_id} {self.triage_class or '-'} {self.status}"


class MonthlyVolume(models.Model):
    """Cases of a procedure in one month through one channel (月別件数), as
    measured by the system that took them (e.g. online applications)."""

    procedure = models.ForeignKey(
        Procedure, on_delete=models.CASCADE, related_name="monthly_volumes"
    )
    month = models.DateField(_("month"))  # the first day of the month
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    cases = models.PositiveIntegerField(_("cases"))

    class Meta:
        verbose_name = _("monthly volume")
        verbose_name_plural = _("monthly volumes")
        ordering = ["procedure_id", "month", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "month", "channel"],
                name="procedures_monthly_volume_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.procedure_id} {self.month:%Y-%m} {self.channel}"
