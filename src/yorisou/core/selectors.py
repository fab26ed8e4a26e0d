"""Reads of the core app: the audit trail for administrators, site configuration."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from yorisou.core import permissions
from yorisou.core.constants import Role
from yorisou.core.models import AuditEvent, SiteConfiguration


@dataclass(frozen=True)
class AuditFilter:
    """Filters of the audit trail screen and export (all optional)."""

    q: str = ""
    actor: str = ""
    action: str = ""
    target_type: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_event_list(*, actor: Any, filters: AuditFilter) -> QuerySet[AuditEvent]:
    """監査ログ: events newest first, filtered; system administrators only."""
    permissions.require_role(actor, Role.SYSTEM_ADMIN)
    events = AuditEvent.objects.all()
    if filters.q:
        events = events.filter(
            Q(target_repr__icontains=filters.q)
            | Q(action__icontains=filters.q)
            | Q(request_id=filters.q)
            | Q(target_id=filters.q)
        )
    if filters.actor:
        events = events.filter(actor_repr__iexact=filters.actor)
    if filters.action:
        events = events.filter(action__startswith=filters.action)
    if filters.target_type:
        events = events.filter(target_type=filters.target_type)
    if filters.date_from:
        events = events.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        events = events.filter(
            created_at__lt=_day_start(filters.date_to + timedelta(days=1))
        )
    return events.order_by("-id")


def audit_action_choices(*, actor: Any) -> list[str]:
    """The distinct actions recorded so far (for the filter's list)."""
    permissions.require_role(actor, Role.SYSTEM_ADMIN)
    return list(
        AuditEvent.objects.order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )


def site_configuration_get(*, actor: Any = None) -> SiteConfiguration:
    """The site configuration row (created with defaults the first time).

    With ``actor`` (a screen showing it for editing) only system administrators.
    """
    if actor is not None:
        permissions.require_role(actor, Role.SYSTEM_ADMIN)
    config = SiteConfiguration.objects.filter(id=1).first()
    return config or SiteConfiguration(id=1)
