"""Users, the organisation tree (局 > 部 > 課) and role assignments."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yorisou.accounts.constants import OrgLevel
from yorisou.core.constants import Role


class OrgUnit(models.Model):
    """A unit of the city's organisation (組織): 局 bureau, 部 department, 課 section.

    ``path`` holds the codes from the bureau down (``20/2020/202010``) so that
    "this unit and everything below it" is one indexed prefix query.
    """

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name (Japanese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=150, blank=True)
    level = models.CharField(_("level"), max_length=20, choices=OrgLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    sort_order = models.PositiveIntegerField(_("display order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    is_sample = models.BooleanField(
        _("sample data"), default=False, help_text=_("Invented for the demo.")
    )

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="accounts_orgunit_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language (English falls back to Japanese)."""
        language = get_language() or "ja"
        if language.startswith("en") and self.name_en:
            return self.name_en
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/")


class User(AbstractUser):
    """A person who signs in: a citizen or a member of staff (職員)."""

    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("section"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        help_text=_("The section (課) a member of staff belongs to."),
    )
    is_sample = models.BooleanField(_("sample data"), default=False)
    email_verified_at = models.DateTimeField(
        _("email verified at"),
        null=True,
        blank=True,
        help_text=_("When the owner confirmed the email address by its link."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class RoleAssignment(models.Model):
    """A role held by a user (役割), city-wide or for one org unit and below."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("scope"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
        help_text=_("Empty: city-wide."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user_id", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "org_unit"],
                name="accounts_role_unique_scoped",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(org_unit__isnull=True),
                name="accounts_role_unique_citywide",
            ),
        ]

    def __str__(self) -> str:
        scope = self.org_unit.display_name if self.org_unit else _("city-wide")
        return f"{self.get_role_display()} ({scope})"


class VerifiedIdentity(models.Model):
    """A person proven by a sign-in provider (本人確認済みの身元), for example with the
    My Number card through the Digital Agency's デジタル認証アプリ.

    One row per (issuer, subject): the provider's stable id of the person. It holds
    the 基本4情報 (name, address, date of birth, gender) as last received, so forms
    can be prefilled and shown as verified. Never the My Number itself.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="verified_identities",
        verbose_name=_("user"),
    )
    provider = models.CharField(_("sign-in provider"), max_length=40)
    issuer = models.CharField(_("issuer"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255)
    name = models.CharField(_("name"), max_length=200, blank=True)
    name_kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    birthdate = models.DateField(_("date of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=20, blank=True)
    verified_at = models.DateTimeField(_("verified at"))
    last_used_at = models.DateTimeField(_("last used at"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("verified identity")
        verbose_name_plural = _("verified identities")
        ordering = ["-last_used_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"],
                name="accounts_verifiedidentity_unique_subject",
            ),
        ]

    def __str__(self) -> str:
        # Deliberately no personal data: this string reaches the audit trail.
        return f"{self.provider} #{self.pk}"
