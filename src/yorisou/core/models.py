"""Core models: the audit trail (監査ログ) and the site-wide configuration."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One state change anywhere in Yorisou (監査ログの1件). Append-only.

    Writers only insert (no lock). A background step seals committed events into a
    hash chain in order (``seq``, ``prev_hash``, ``hash``), so any later edit or
    deletion of a sealed event is detected by ``yorisou audit_verify``.
    """

    created_at = models.DateTimeField(_("time"), db_index=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_repr = models.CharField(_("actor"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_repr = models.CharField(_("target"), max_length=300, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    seq = models.BigIntegerField(
        _("chain position"), null=True, blank=True, unique=True
    )
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["actor_id", "created_at"]),
            models.Index(
                fields=["id"],
                name="core_audit_unsealed_idx",
                condition=models.Q(seq__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.target_repr}"

    @property
    def is_sealed(self) -> bool:
        return self.seq is not None


class AuditChainHead(models.Model):
    """The end of the sealed chain (one row): the last position and its hash.

    Sealing locks this row, so only one sealer runs at a time; writers never touch it.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit chain head")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=1), name="core_auditchainhead_singleton"
            )
        ]

    def __str__(self) -> str:
        return f"seq {self.last_seq}"


class SiteConfiguration(models.Model):
    """Settings that system administrators change at run time (one row)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    require_staff_two_factor = models.BooleanField(
        _("require two-factor sign-in for staff"),
        default=False,
        help_text=_(
            "When on, every staff member must set up and use a one-time code app "
            "(TOTP) to sign in."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("site configuration")
        verbose_name_plural = _("site configuration")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=1), name="core_siteconfiguration_singleton"
            )
        ]

    def __str__(self) -> str:
        return str(_("Site configuration"))

    def as_dict(self) -> dict[str, Any]:
        return {"require_staff_two_factor": self.require_staff_two_factor}
