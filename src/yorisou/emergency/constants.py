"""Vocabulary of Live119: incident kinds and states, timeline events, who sent a
chat message, invite delivery, and the codes of a refused invite."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IncidentKind(models.TextChoices):
    """What the caller reports (事案種別)."""

    FIRE = "fire", pgettext_lazy("incident kind", "Fire")  # 火災
    MEDICAL = "medical", pgettext_lazy("incident kind", "Medical emergency")  # 救急
    RESCUE = "rescue", pgettext_lazy("incident kind", "Rescue")  # 救助
    OTHER = "other", pgettext_lazy("incident kind", "Other")  # その他


class IncidentState(models.TextChoices):
    """An incident (事案) is open while the centre works on it."""

    OPEN = "open", pgettext_lazy("incident state", "Open")
    CLOSED = "closed", pgettext_lazy("incident state", "Closed")


# The whole life of an incident as data; services refuse anything not listed.
TRANSITIONS: dict[str, frozenset[str]] = {
    # the call is handled: invites end, the live part stops, units keep read access
    IncidentState.OPEN: frozenset({IncidentState.CLOSED}),
    # a closed incident is history; a new call opens a new incident
    IncidentState.CLOSED: frozenset(),
}


class EventKind(models.TextChoices):
    """One line of an incident's timeline (経過)."""

    OPENED = "opened", _("Incident opened")
    UPDATED = "updated", _("Details changed")
    UNIT_ASSIGNED = "unit_assigned", _("Unit assigned")
    UNIT_RELEASED = "unit_released", _("Unit released")
    INVITE_SENT = "invite_sent", _("Video link sent")
    INVITE_DELIVERED = "invite_delivered", _("SMS handed to the provider")
    INVITE_FAILED = "invite_failed", _("SMS could not be sent")
    INVITE_OPENED = "invite_opened", _("Caller opened the link")
    INVITE_REFUSED = "invite_refused", _("Link refused")
    INVITE_REVOKED = "invite_revoked", _("Video link withdrawn")
    CALLER_ENDED = "caller_ended", _("Caller ended the video")
    LIVE_ENDED = "live_ended", _("Dispatcher ended the video")
    GUIDANCE_PLAYED = "guidance_played", _("Guidance video sent")
    GUIDANCE_STOPPED = "guidance_stopped", _("Guidance video stopped")
    RECORDING_STARTED = "recording_started", _("Recording started")
    RECORDING_STOPPED = "recording_stopped", _("Recording saved")
    SNAPSHOT = "snapshot", _("Still image saved")
    CLOSED = "closed", _("Incident closed")


class Sender(models.TextChoices):
    """Who wrote a chat message."""

    CALLER = "caller", _("Caller")
    DISPATCHER = "dispatcher", _("Dispatcher")
    UNIT = "unit", pgettext_lazy("fire unit", "Unit")


class PositionSource(models.TextChoices):
    """Where a position came from."""

    CALLER = "caller", _("Caller's phone")
    DISPATCHER = "dispatcher", _("Entered by the dispatcher")


class Delivery(models.TextChoices):
    """How far the SMS of an invite got."""

    PENDING = "pending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class InviteRefusal(models.TextChoices):
    """Why an invite link is refused (the ``code`` of :class:`InviteRefused`)."""

    UNKNOWN = "unknown", _("This link is not valid.")
    EXPIRED = "expired", _("This link has expired.")
    REVOKED = "revoked", _("This link has been withdrawn.")
    USED_UP = "used_up", _("This link has been opened too many times.")
    CLOSED = "closed", _("The call this link belongs to has ended.")


def conf(key: str, default: Any = None) -> Any:
    """One value of the ``LIVE119`` settings (conf/base.py), read at call time."""
    values: dict[str, Any] = getattr(settings, "LIVE119", {})
    return values.get(key, default)


# Guidance videos the library accepts (checked on the content).
GUIDANCE_TYPES = {"video/mp4": "mp4", "video/webm": "webm"}
# Still images taken from the caller's video.
SNAPSHOT_TYPES = {"image/jpeg": "jpg", "image/png": "png"}
SNAPSHOT_MAX_BYTES = 5 * 1024 * 1024
GUIDANCE_MAX_BYTES = 100 * 1024 * 1024
CHAT_MAX_LENGTH = 1000
