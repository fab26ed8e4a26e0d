"""Reads of Live119, each checking who asks (``actor=``).

A dispatcher (指令員) sees the incidents of their command centre: the centre is
their ``User.org_unit`` and everything below it. A fire unit (出場隊) sees the
incidents currently assigned to units within the scope of its ``FIRE_UNIT`` role.
Anything else answers ``DoesNotExist``, the same as an id that does not exist, so
ids reveal nothing. The caller has no account: the consumer and the caller page
resolve the invite token with ``services.invite_open`` first.
"""

import base64
import hashlib
import hmac
import time
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from yorisou.core import permissions
from yorisou.core.constants import Role
from yorisou.core.permissions import SYSTEM

from yorisou.accounts.models import OrgUnit  # isort: skip
from yorisou.emergency.constants import IncidentState, InviteRefusal, conf
from yorisou.emergency.models import (
    ChatMessage,
    GuidancePlay,
    GuidanceVideo,
    Incident,
    IncidentEvent,
    Invite,
    LocationFix,
    Recording,
    Snapshot,
    UnitAssignment,
)

TRACK_POINTS = 500  # the newest positions sent as the track
CHAT_MESSAGES = 200  # the newest chat messages sent with the state


def _under(unit: Any, scope_path: str) -> bool:
    path: str = unit.path
    return path == scope_path or path.startswith(scope_path + "/")


def _path_q(field: str, scope_path: str) -> Q:
    return Q(**{f"{field}__path": scope_path}) | Q(
        **{f"{field}__path__startswith": scope_path + "/"}
    )


def centre_of(actor: Any) -> OrgUnit | None:
    """The command centre a dispatcher works for (their section), or None."""
    if not permissions.has_role(actor, Role.DISPATCHER):
        return None
    unit: OrgUnit | None = getattr(actor, "org_unit", None)
    return unit


def _dispatch_q(actor: Any) -> Q | None:
    centre = centre_of(actor)
    return _path_q("centre", centre.path) if centre is not None else None


def _unit_scopes(actor: Any) -> list[str] | None:
    """Scopes of the actor's FIRE_UNIT role ([] when none, None when city-wide)."""
    if not permissions.has_role(actor, Role.FIRE_UNIT):
        return []
    return permissions.scopes_of(actor, Role.FIRE_UNIT)


def _assigned_q(actor: Any) -> Q | None:
    scopes = _unit_scopes(actor)
    if scopes == []:
        return None
    active = UnitAssignment.objects.filter(released_at__isnull=True)
    if scopes is not None:
        within = Q(pk__in=[])
        for scope in scopes:
            within |= _path_q("unit", scope)
        active = active.filter(within)
    return Q(pk__in=active.values("incident_id"))


def _visible_q(actor: Any) -> Q:
    if actor is SYSTEM:
        return Q()
    condition = Q(pk__in=[])
    for part in (_dispatch_q(actor), _assigned_q(actor)):
        if part is not None:
            condition |= part
    return condition


def can_dispatch(actor: Any, incident: Incident) -> bool:
    """Whether ``actor`` works ``incident`` as a dispatcher of its centre."""
    if actor is SYSTEM:
        return True
    centre = centre_of(actor)
    return centre is not None and _under(incident.centre, centre.path)


def can_dispatch_for(actor: Any, centre: OrgUnit) -> bool:
    """Whether ``actor`` is a dispatcher of ``centre`` (opens its incidents, keeps
    its guidance library)."""
    if actor is SYSTEM:
        return True
    own = centre_of(actor)
    return own is not None and _under(centre, own.path)


def can_view(actor: Any, incident: Incident) -> bool:
    """Whether ``actor`` may follow ``incident``: its dispatchers, and the units
    assigned to it (read-only except for chat)."""
    if can_dispatch(actor, incident):
        return True
    condition = _assigned_q(actor)
    if condition is None:
        return False
    return Incident.objects.filter(condition, pk=incident.pk).exists()


def is_unit_member(actor: Any) -> bool:
    """Whether ``actor`` holds the fire-unit role (for the unit view)."""
    return permissions.has_role(actor, Role.FIRE_UNIT)


# --- incidents ------------------------------------------------------------------


def incident_list(
    *, actor: Any, state: str | None = IncidentState.OPEN
) -> QuerySet[Incident]:
    """The incidents ``actor`` may see, newest first, with their centre and the
    units currently assigned (a fixed number of queries however many there are).
    ``state`` None lists open and closed ones."""
    incidents = Incident.objects.filter(_visible_q(actor))
    if state:
        incidents = incidents.filter(state=state)
    return incidents.select_related("centre", "opened_by").prefetch_related(
        Prefetch(
            "assignments",
            queryset=UnitAssignment.objects.filter(
                released_at__isnull=True
            ).select_related("unit"),
            to_attr="active_assignments",
        )
    )


def unit_incident_list(
    *, actor: Any, state: str | None = IncidentState.OPEN
) -> QuerySet[Incident]:
    """The incidents assigned to the actor's units (the tablet in the vehicle)."""
    condition = _assigned_q(actor)
    if condition is None:
        return Incident.objects.none()
    return incident_list(actor=actor, state=state).filter(condition)


def incident_get(*, actor: Any, pk: int) -> Incident:
    """One incident the actor may see; ``Incident.DoesNotExist`` otherwise."""
    return incident_list(actor=actor, state=None).get(pk=pk)


def invites_refused(*, invite_ids: list[int]) -> dict[int, str]:
    """Of these links of connected callers, those that may send no more, with
    the reason (an ``InviteRefusal`` code: ``closed``, ``revoked``, ``unknown``
    for a link that is gone), in one query. As ``services.caller_may_send``: the
    link's expiry limits opening it, not a call in progress."""
    rows = list(
        Invite.objects.filter(pk__in=invite_ids).values_list(
            "pk", "revoked_at", "incident__state"
        )
    )
    refused = {int(pk): InviteRefusal.UNKNOWN.value for pk in invite_ids}
    for pk, revoked_at, state in rows:
        if state != IncidentState.OPEN:
            refused[pk] = InviteRefusal.CLOSED.value
        elif revoked_at is not None:
            refused[pk] = InviteRefusal.REVOKED.value
        else:
            del refused[pk]
    return refused


def event_list(*, actor: Any, incident: Incident) -> QuerySet[IncidentEvent]:
    """The timeline (経過) of an incident, oldest first."""
    if not can_view(actor, incident):
        raise permissions.PermissionDenied
    return IncidentEvent.objects.filter(incident=incident).select_related("actor")


def assignment_list(*, actor: Any, incident: Incident) -> QuerySet[UnitAssignment]:
    """Every unit sent to the incident, released ones included."""
    if not can_view(actor, incident):
        raise permissions.PermissionDenied
    return UnitAssignment.objects.filter(incident=incident).select_related("unit")


def assignment_get(*, actor: Any, pk: int) -> UnitAssignment:
    """One assignment of an incident the actor dispatches (DoesNotExist else)."""
    assignment = UnitAssignment.objects.select_related("incident__centre", "unit").get(
        pk=pk
    )
    if not can_dispatch(actor, assignment.incident):
        raise UnitAssignment.DoesNotExist
    return assignment


def unit_choices(*, actor: Any, incident: Incident) -> QuerySet[OrgUnit]:
    """Units a dispatcher can send: org units of the centre's bureau (消防局) that a
    fire-unit role is held for, not already assigned to the incident."""
    if not can_dispatch(actor, incident):
        raise permissions.PermissionDenied
    bureau = incident.centre.path.split("/", 1)[0]
    assigned = UnitAssignment.objects.filter(
        incident=incident, released_at__isnull=True
    ).values("unit_id")
    # accounts has no selector for "units a role is held for"; this reads the
    # role assignments through the org unit's own relation.
    return (
        OrgUnit.objects.filter(
            Q(path=bureau) | Q(path__startswith=bureau + "/"),
            is_active=True,
            role_assignments__role=Role.FIRE_UNIT,
        )
        .exclude(pk__in=assigned)
        .distinct()
        .order_by("path")
    )


def invite_list(*, actor: Any, incident: Incident) -> QuerySet[Invite]:
    """The SMS invites of an incident (dispatchers only), newest first."""
    if not can_dispatch(actor, incident):
        raise permissions.PermissionDenied
    return Invite.objects.filter(incident=incident).select_related("created_by")


def chat_list(*, actor: Any, incident: Incident) -> QuerySet[ChatMessage]:
    """The chat of an incident, oldest first."""
    if not can_view(actor, incident):
        raise permissions.PermissionDenied
    return ChatMessage.objects.filter(incident=incident).select_related("author")


def snapshot_list(*, actor: Any, incident: Incident) -> QuerySet[Snapshot]:
    """Still images of an incident."""
    if not can_view(actor, incident):
        raise permissions.PermissionDenied
    return Snapshot.objects.filter(incident=incident).select_related("taken_by")


def snapshot_get(*, actor: Any, pk: int) -> Snapshot:
    """One still image of an incident the actor may see (DoesNotExist else)."""
    snapshot = Snapshot.objects.select_related("incident__centre").get(pk=pk)
    if not can_view(actor, snapshot.incident):
        raise Snapshot.DoesNotExist
    return snapshot


# --- the live state -------------------------------------------------------------


def _position(fix: LocationFix) -> dict[str, Any]:
    return {
        "lat": fix.lat,
        "lng": fix.lng,
        "accuracy": fix.accuracy,
        "heading": fix.heading,
        "speed": fix.speed,
        "source": fix.source,
        "at": int((fix.client_at or fix.received_at).timestamp() * 1000),
        "received_at": fix.received_at.isoformat(),
    }


def chat_message_dict(message: ChatMessage) -> dict[str, Any]:
    """A chat message as the protocol sends it."""
    author = message.author
    return {
        "id": message.pk,
        "sender": message.sender,
        "sender_label": str(message.get_sender_display()),
        "author": str(author) if author is not None else "",
        "text": message.text,
        "at": message.created_at.isoformat(),
    }


def position_dict(fix: LocationFix) -> dict[str, Any]:
    """A position as the protocol sends it (``at``: ms since the epoch)."""
    return _position(fix)


def incident_dict(incident: Incident, *, for_caller: bool = False) -> dict[str, Any]:
    """The incident's facts; the caller gets no notes and no phone number."""
    data: dict[str, Any] = {
        "id": incident.pk,
        "number": incident.number,
        "kind": incident.kind,
        "kind_label": str(incident.get_kind_display()),
        "state": incident.state,
        "opened_at": incident.opened_at.isoformat(),
        "closed_at": incident.closed_at.isoformat() if incident.closed_at else None,
    }
    if not for_caller:
        data.update(
            {
                "address": incident.address,
                "notes": incident.notes,
                "caller_phone": incident.caller_phone_display,
                "centre": str(incident.centre),
            }
        )
    return data


def incident_state(incident: Incident, *, for_caller: bool = False) -> dict[str, Any]:
    """Everything a page needs to draw the incident now: what the protocol's
    ``state`` message carries (docs/live119.md). JSON-able. The caller gets a
    reduced view: no notes, no phone number, no track, no unit names.

    No ``actor``: call it after ``incident_get`` (staff) or ``invite_open`` (caller)
    — it reads, it does not decide who may.
    """
    recent = list(
        LocationFix.objects.filter(incident=incident).order_by("-received_at", "-id")[
            :TRACK_POINTS
        ]
    )
    chat = list(
        ChatMessage.objects.filter(incident=incident)
        .select_related("author")
        .order_by("-created_at", "-id")[:CHAT_MESSAGES]
    )
    playing = (
        GuidancePlay.objects.filter(incident=incident, stopped_at__isnull=True)
        .select_related("video")
        .first()
    )
    recording = Recording.objects.filter(
        incident=incident, stopped_at__isnull=True
    ).exists()
    state: dict[str, Any] = {
        "incident": incident_dict(incident, for_caller=for_caller),
        "position": _position(recent[0]) if recent else None,
        "chat": [chat_message_dict(m) for m in reversed(chat)],
        "guidance": playing.video.as_dict() if playing else None,
        "recording": recording,
    }
    if for_caller:
        # The caller's own messages need no author names of staff.
        for message in state["chat"]:
            message["author"] = ""
        state["units"] = UnitAssignment.objects.filter(
            incident=incident, released_at__isnull=True
        ).count()
        return state
    state["track"] = [
        [fix.lat, fix.lng, int(fix.received_at.timestamp() * 1000)]
        for fix in reversed(recent)
    ]
    state["units"] = [
        {"id": a.unit_id, "assignment": a.pk, "name": str(a.unit)}
        for a in UnitAssignment.objects.filter(
            incident=incident, released_at__isnull=True
        ).select_related("unit")
    ]
    return state


# --- guidance videos ------------------------------------------------------------


def guidance_list(*, actor: Any) -> QuerySet[GuidanceVideo]:
    """The guidance-video library of the actor's centre (dispatchers)."""
    if actor is SYSTEM:
        return GuidanceVideo.objects.filter(is_active=True)
    centre = centre_of(actor)
    if centre is None:
        return GuidanceVideo.objects.none()
    return GuidanceVideo.objects.filter(
        _path_q("centre", centre.path), is_active=True
    ).select_related("uploaded_by")


def guidance_get(*, actor: Any, pk: int) -> GuidanceVideo:
    """One video of the actor's library (DoesNotExist else)."""
    return guidance_list(actor=actor).get(pk=pk)


def guidance_for_invite(*, invite: Invite, pk: int) -> GuidanceVideo:
    """A video the caller may load: one sent to the invite's incident.

    ``invite`` comes from ``services.invite_open`` / ``invite_resolve``.
    """
    return (
        GuidanceVideo.objects.filter(pk=pk, plays__incident_id=invite.incident_id)
        .distinct()
        .get()
    )


# --- recordings -----------------------------------------------------------------


def recording_list(
    *, actor: Any, incident: Incident | None = None
) -> QuerySet[Recording]:
    """Recordings the actor may watch: those of incidents of their centre
    (dispatchers). Units do not get recordings. Each viewing is recorded by
    ``services.recording_opened``."""
    if actor is SYSTEM:
        recordings = Recording.objects.all()
    else:
        condition = _dispatch_q(actor)
        if condition is None:
            return Recording.objects.none()
        recordings = Recording.objects.filter(
            incident__in=Incident.objects.filter(condition)
        )
    if incident is not None:
        recordings = recordings.filter(incident=incident)
    return recordings.select_related("incident", "started_by")


def recording_get(*, actor: Any, pk: int) -> Recording:
    """One recording the actor may watch (DoesNotExist else)."""
    return recording_list(actor=actor).get(pk=pk)


# --- STUN / TURN ----------------------------------------------------------------


def turn_credentials(
    *, incident: Incident, now: float | None = None
) -> dict[str, Any] | None:
    """Short-lived TURN credentials in coturn's ``use-auth-secret`` scheme.

    username ``<expiry unix time>:incident-<id>``; password
    base64(HMAC-SHA1(``TURN_SECRET``, username)). None without a secret or URLs.
    """
    secret = str(conf("TURN_SECRET") or "")
    urls = list(conf("TURN_URLS") or [])
    if not secret or not urls:
        return None
    ttl = int(conf("TURN_TTL_SECONDS") or 3600)
    expiry = int(now if now is not None else time.time()) + ttl
    username = f"{expiry}:incident-{incident.pk}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return {
        "urls": urls,
        "username": username,
        "credential": base64.b64encode(digest).decode(),
        "ttl": ttl,
    }


def ice_servers(
    *,
    incident: Incident,
    actor: Any = None,
    invite: Invite | None = None,
    now: float | None = None,
) -> list[dict[str, Any]]:
    """The ``iceServers`` of an ``RTCPeerConnection`` for one incident: the STUN
    URLs, and TURN with fresh credentials. For the caller pass the ``invite`` (from
    ``invite_open``); for staff the ``actor`` (who must be able to view it)."""
    if invite is not None:
        if invite.incident_id != incident.pk:
            raise permissions.PermissionDenied
    elif not can_view(actor, incident):
        raise permissions.PermissionDenied
    servers: list[dict[str, Any]] = []
    stun = list(conf("STUN_URLS") or [])
    if stun:
        servers.append({"urls": stun})
    turn = turn_credentials(incident=incident, now=now)
    if turn is not None:
        servers.append(
            {
                "urls": turn["urls"],
                "username": turn["username"],
                "credential": turn["credential"],
            }
        )
    return servers
