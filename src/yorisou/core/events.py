"""The core app's only door to the channel layer: the live audit feed."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from yorisou.core.models import AuditEvent

AUDIT_FEED_GROUP = "core.audit-feed"


def audit_event_published(event: AuditEvent) -> None:
    """Send a summary of a committed audit event to the admins watching the feed."""
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(
        AUDIT_FEED_GROUP,
        {
            "type": "audit.event",
            "id": event.pk,
            "at": event.created_at.isoformat(),
            "actor": event.actor_repr,
            "action": event.action,
            "target": event.target_repr,
        },
    )
