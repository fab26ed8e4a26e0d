"""Writes of the core app: site configuration; audited saves for admin screens."""

from typing import Any

from django.db import models, transaction

from yorisou.core import audit, permissions
from yorisou.core.constants import Role
from yorisou.core.models import SiteConfiguration


def site_configuration_update(
    *, actor: Any, require_staff_two_factor: bool
) -> SiteConfiguration:
    """Change the run-time settings (system administrators only)."""
    permissions.require_role(actor, Role.SYSTEM_ADMIN)
    with transaction.atomic():
        config, _ = SiteConfiguration.objects.select_for_update().get_or_create(id=1)
        before = config.as_dict()
        config.require_staff_two_factor = require_staff_two_factor
        config.save()
        audit.record(
            actor=actor,
            action="core.site_configuration.update",
            target=config,
            changes=audit.diff(before, config.as_dict()),
        )
    return config


def admin_save(
    *,
    actor: Any,
    instance: models.Model,
    changed_fields: list[str],
    created: bool,
    action_prefix: str,
) -> models.Model:
    """Save a model edited in an admin screen, with an audit event of the change.

    Used by the administration screens for reference data; domain workflows have
    services of their own.
    """
    permissions.require_role(actor, Role.SYSTEM_ADMIN)
    fields = [
        f.name
        for f in instance._meta.concrete_fields
        if f.name in changed_fields or created
    ]
    with transaction.atomic():
        before: dict[str, Any] = {}
        if not created and instance.pk is not None:
            previous = type(instance)._default_manager.filter(pk=instance.pk).first()
            if previous is not None:
                before = audit.snapshot(previous, fields)
        instance.save()
        audit.record(
            actor=actor,
            action=f"{action_prefix}.{'create' if created else 'update'}",
            target=instance,
            changes=audit.diff(before, audit.snapshot(instance, fields)),
        )
    return instance


def admin_delete(*, actor: Any, instance: models.Model, action_prefix: str) -> None:
    """Delete a model from an admin screen, with an audit event."""
    permissions.require_role(actor, Role.SYSTEM_ADMIN)
    with transaction.atomic():
        audit.record(actor=actor, action=f"{action_prefix}.delete", target=instance)
        instance.delete()
