"""Writes of Live119: incidents and their units, SMS invites, what the caller
sends (positions, chat), guidance videos, recordings and still images.

Every change is checked (``actor=``, or the caller's invite), runs in a
transaction, lands on the incident's timeline and in the audit trail. What other
browsers must see is published after commit through ``events.py`` (the only door
to the channel layer); the SMS is sent by a task after commit.
"""

import asyncio
import base64
import binascii
import hashlib
import logging
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as PermissionDenied
from django.core.exceptions import ValidationError as ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

import phonenumbers

from yorisou.core import audit
from yorisou.core.permissions import SYSTEM
from yorisou.emergency import events, selectors, sms
from yorisou.emergency.constants import (
    CHAT_MAX_LENGTH,
    GUIDANCE_MAX_BYTES,
    SNAPSHOT_MAX_BYTES,
    TRANSITIONS,
    Delivery,
    EventKind,
    IncidentKind,
    IncidentState,
    InviteRefusal,
    PositionSource,
    Sender,
    conf,
)
from yorisou.emergency.media_checks import check_guidance_video, check_still_image
from yorisou.emergency.models import (
    ChatMessage,
    GuidancePlay,
    GuidanceVideo,
    Incident,
    IncidentCounter,
    IncidentEvent,
    Invite,
    LocationFix,
    Recording,
    Snapshot,
    UnitAssignment,
)
from yorisou.emergency.storage import live119_storage, new_name

logger = logging.getLogger(__name__)

# turn_credentials is a read; it lives with the selectors (ice_servers uses it).
turn_credentials = selectors.turn_credentials

_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
_INCIDENT_FIELDS = ["caller_phone", "kind", "address", "notes"]


_conf = conf


def _user(actor: Any) -> Any:
    """The actor as a user foreign key (None for the system)."""
    return actor if getattr(actor, "is_authenticated", False) else None


def _audit(
    actor: Any, action: str, target: Any, changes: dict[str, Any] | None = None
) -> None:
    audit.record(
        actor=actor, action=f"emergency.{action}", target=target, changes=changes
    )


def _event(
    incident: Incident,
    kind: str,
    text: str = "",
    *,
    actor: Any = None,
    by_caller: bool = False,
) -> IncidentEvent:
    return IncidentEvent.objects.create(
        incident=incident,
        kind=kind,
        text=text[:500],
        actor=_user(actor),
        by_caller=by_caller,
        created_at=timezone.now(),
    )


def publish(incident_id: int, message: dict[str, Any]) -> None:
    """Send a protocol message (docs/live119.md) to everyone following the
    incident once the transaction has committed (through ``events``, the door)."""
    events.publish_on_commit(incident_id, message)


def _locked(incident: Incident) -> Incident:
    """The incident's row, locked for this transaction, with its centre."""
    return (
        Incident.objects.select_for_update()
        .select_related("centre")
        .get(pk=incident.pk)
    )


def _require_dispatch(actor: Any, incident: Incident) -> None:
    if not selectors.can_dispatch(actor, incident):
        raise PermissionDenied


def _require_open(incident: Incident) -> None:
    if incident.state != IncidentState.OPEN:
        raise ValidationError(_("The incident is closed."), code="closed")


# --- phone numbers --------------------------------------------------------------


def phone_normalise(value: str, *, field: str = "caller_phone") -> str:
    """A phone number as typed (090-1234-5678, +81 90…) in E.164; '' for blank.
    Numbers without a country code are Japanese."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "JP")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            {field: _("Enter a valid phone number, for example 090-1234-5678.")}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _is_mobile(e164: str) -> bool:
    number_type = phonenumbers.number_type(phonenumbers.parse(e164, None))
    return number_type in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


# --- incidents ------------------------------------------------------------------


def _next_number(year: int) -> str:
    IncidentCounter.objects.get_or_create(year=year)
    counter = IncidentCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{year}-{counter.last:06d}"


def _check_kind(kind: str) -> None:
    if kind not in IncidentKind.values:
        raise ValidationError({"kind": _("Choose the kind of incident.")})


def incident_open(
    *,
    actor: Any,
    kind: str,
    caller_phone: str = "",
    address: str = "",
    notes: str = "",
    centre: Any = None,
    is_sample: bool = False,
) -> Incident:
    """Open an incident (事案) for a 119 call at the actor's command centre, with a
    number of the year (``2026-000123``)."""
    centre = centre or selectors.centre_of(actor)
    if centre is None or not selectors.can_dispatch_for(actor, centre):
        raise PermissionDenied
    _check_kind(kind)
    phone = phone_normalise(caller_phone)
    now = timezone.now()
    with transaction.atomic():
        incident = Incident(
            centre=centre,
            number=_next_number(timezone.localdate(now).year),
            caller_phone=phone,
            kind=kind,
            address=address.strip()[:300],
            notes=notes.strip(),
            opened_by=_user(actor),
            opened_at=now,
            is_sample=is_sample,
        )
        incident.save()
        _event(incident, EventKind.OPENED, actor=actor)
        _audit(
            actor,
            "incident.open",
            incident,
            audit.diff({}, audit.snapshot(incident, ["centre", *_INCIDENT_FIELDS])),
        )
    return incident


def incident_update(
    *,
    actor: Any,
    incident: Incident,
    kind: str | None = None,
    caller_phone: str | None = None,
    address: str | None = None,
    notes: str | None = None,
) -> Incident:
    """Change the facts of an open incident; arguments left None stay as they are."""
    _require_dispatch(actor, incident)
    if kind is not None:
        _check_kind(kind)
    phone = phone_normalise(caller_phone) if caller_phone is not None else None
    with transaction.atomic():
        locked = _locked(incident)
        _require_open(locked)
        before = audit.snapshot(locked, _INCIDENT_FIELDS)
        if kind is not None:
            locked.kind = kind
        if phone is not None:
            locked.caller_phone = phone
        if address is not None:
            locked.address = address.strip()[:300]
        if notes is not None:
            locked.notes = notes.strip()
        changes = audit.diff(before, audit.snapshot(locked, _INCIDENT_FIELDS))
        if not changes:
            return locked
        locked.save()
        _event(locked, EventKind.UPDATED, ", ".join(sorted(changes)), actor=actor)
        _audit(actor, "incident.update", locked, changes)
        publish(
            locked.pk,
            {"type": "incident", "incident": selectors.incident_dict(locked)},
        )
    return locked


def incident_close(*, actor: Any, incident: Incident, reason: str = "") -> Incident:
    """Close an incident: its invites end, any guidance video stops, and after
    commit every connected page gets ``ended``; the consumers that receive it end
    the live part (the media session and its recording) in their process."""
    _require_dispatch(actor, incident)
    with transaction.atomic():
        locked = _locked(incident)
        if IncidentState.CLOSED not in TRANSITIONS[locked.state]:
            raise ValidationError(_("The incident is already closed."), code="closed")
        now = timezone.now()
        locked.state = IncidentState.CLOSED
        locked.closed_at = now
        locked.closed_by = _user(actor)
        locked.save(update_fields=["state", "closed_at", "closed_by", "updated_at"])
        revoked = Invite.objects.filter(
            incident=locked, revoked_at__isnull=True
        ).update(revoked_at=now)
        GuidancePlay.objects.filter(incident=locked, stopped_at__isnull=True).update(
            stopped_at=now
        )
        _event(locked, EventKind.CLOSED, reason.strip()[:500], actor=actor)
        _audit(
            actor,
            "incident.close",
            locked,
            {
                "state": [IncidentState.OPEN, IncidentState.CLOSED],
                "invites_ended": [None, revoked],
                "reason": [None, reason.strip()[:500]],
            },
        )
        publish(locked.pk, {"type": "ended", "reason": "closed"})
    return locked


# --- units ------------------------------------------------------------------------


def unit_assign(*, actor: Any, incident: Incident, unit: Any) -> UnitAssignment:
    """Send a unit (出場隊) to an open incident; it then sees the incident."""
    _require_dispatch(actor, incident)
    if (
        not selectors.unit_choices(actor=actor, incident=incident)
        .filter(pk=unit.pk)
        .exists()
    ):
        raise ValidationError(
            {"unit": _("This unit cannot be assigned (already assigned?).")}
        )
    try:
        with transaction.atomic():
            locked = _locked(incident)
            _require_open(locked)
            assignment = UnitAssignment.objects.create(
                incident=locked,
                unit=unit,
                assigned_by=_user(actor),
                assigned_at=timezone.now(),
            )
            _event(locked, EventKind.UNIT_ASSIGNED, str(unit), actor=actor)
            _audit(actor, "unit.assign", locked, {"unit": [None, str(unit)]})
    except IntegrityError:
        raise ValidationError(
            {"unit": _("This unit cannot be assigned (already assigned?).")}
        ) from None
    publish(incident.pk, {"type": "units"})
    return assignment


def unit_release(*, actor: Any, assignment: UnitAssignment) -> UnitAssignment:
    """Release a unit from an incident (it no longer sees it). Idempotent."""
    incident = assignment.incident
    _require_dispatch(actor, incident)
    with transaction.atomic():
        locked = UnitAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.released_at is not None:
            return locked
        locked.released_at = timezone.now()
        locked.released_by = _user(actor)
        locked.save(update_fields=["released_at", "released_by"])
        _event(incident, EventKind.UNIT_RELEASED, str(assignment.unit), actor=actor)
        _audit(actor, "unit.release", incident, {"unit": [str(assignment.unit), None]})
        publish(incident.pk, {"type": "units"})
    return locked


# --- invites ----------------------------------------------------------------------


class InviteRefused(Exception):
    """An invite token that cannot be used; ``code`` is one of
    :class:`~yorisou.emergency.constants.InviteRefusal` (unknown, expired, revoked,
    used_up, closed) and ``message`` says so in the active language."""

    def __init__(self, code: str, invite: Invite | None = None) -> None:
        self.code = code
        self.invite = invite
        super().__init__(code)

    @property
    def message(self) -> str:
        return str(InviteRefusal(self.code).label)

    def __str__(self) -> str:
        return self.message


def token_hash(token: str) -> str:
    """The SHA-256 (hex) of an invite token: all the database keeps."""
    return hashlib.sha256(token.encode()).hexdigest()


def caller_path(token: str) -> str:
    """The caller's page of a token (``/live119/c/<token>/``)."""
    return reverse("emergency:caller", kwargs={"token": token})


def _check_rate(incident: Incident, phone: str, now: datetime) -> None:
    limit = int(_conf("INVITE_RATE_PER_HOUR", 5))
    since = now - timedelta(hours=1)
    recent = Invite.objects.filter(created_at__gt=since)
    if (
        recent.filter(incident=incident).count() >= limit
        or recent.filter(phone=phone).count() >= limit
    ):
        raise ValidationError(
            _(
                "Too many links were sent in the last hour (at most %(limit)s for "
                "an incident or a phone number). Ask the caller to use the link "
                "already sent."
            )
            % {"limit": limit},
            code="rate_limited",
        )


def invite_send(
    *,
    actor: Any,
    incident: Incident,
    phone: str | None = None,
    base_url: str | None = None,
) -> Invite:
    """Send the caller a video link by SMS (映像通報の招待).

    The token (256 bits) is put in the SMS only; the database keeps its SHA-256.
    The SMS goes out by a task after commit. Limited per incident and per phone
    number per hour. The returned object carries ``token`` (not stored) so the
    page or a test can show the link once.
    """
    _require_dispatch(actor, incident)
    number = phone_normalise(
        phone if phone is not None else incident.caller_phone, field="phone"
    )
    if not number:
        raise ValidationError({"phone": _("Enter the caller's mobile number.")})
    if not _is_mobile(number):
        raise ValidationError(
            {"phone": _("An SMS can only be sent to a mobile phone number.")}
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(incident)
        _require_open(locked)
        _check_rate(locked, number, now)
        invite = Invite.objects.create(
            incident=locked,
            token_hash=token_hash(token),
            phone=number,
            created_by=_user(actor),
            created_at=now,
            expires_at=now + timedelta(minutes=int(_conf("INVITE_MINUTES", 30))),
        )
        _event(locked, EventKind.INVITE_SENT, invite.phone_display, actor=actor)
        _audit(
            actor,
            "invite.send",
            invite,
            {"incident": [None, locked.number], "phone": [None, number]},
        )
        site = (base_url or settings.SITE_URL).rstrip("/")
        invite_id = invite.pk

        def deliver() -> None:
            from yorisou.emergency import tasks

            tasks.invite_deliver.delay(invite_id, token, site)

        transaction.on_commit(deliver)
    invite.token = token
    return invite


def invite_text(token: str, base_url: str) -> str:
    """The SMS: who sends it and the link (in the site's language: Japanese)."""
    link = base_url.rstrip("/") + caller_path(token)
    with translation.override(settings.LANGUAGE_CODE):
        return _(
            "119 (fire department): open this link to send live video and your "
            "location to the dispatcher. %(link)s"
        ) % {"link": link}


def invite_deliver(*, invite_id: int, token: str, base_url: str) -> str:
    """Send the SMS of an invite once (the task calls it; running it again does
    nothing). Returns the delivery state. A failure is shown to the dispatcher at
    once rather than retried for minutes: during a call they can send a new link.
    """
    with transaction.atomic():
        invite = (
            Invite.objects.select_for_update()
            .select_related("incident")
            .filter(pk=invite_id)
            .first()
        )
        if invite is None or invite.delivery != Delivery.PENDING:
            return invite.delivery if invite else Delivery.FAILED
        if not secrets.compare_digest(token_hash(token), invite.token_hash):
            raise ValueError("the token does not belong to this invite")
        now = timezone.now()
        if invite.revoked_at is not None or invite.expires_at <= now:
            invite.delivery = Delivery.FAILED
            invite.delivery_error = "withdrawn before sending"
            invite.save(update_fields=["delivery", "delivery_error"])
            return invite.delivery
        try:
            provider_id = sms.gateway().send(
                to=invite.phone, text=invite_text(token, base_url)
            )
        except sms.SmsError as exc:
            invite.delivery = Delivery.FAILED
            invite.delivery_error = str(exc)[:300]
            invite.save(update_fields=["delivery", "delivery_error"])
            _event(invite.incident, EventKind.INVITE_FAILED, str(exc)[:200])
            _audit(
                SYSTEM,
                "invite.deliver",
                invite,
                {"delivery": [Delivery.PENDING, Delivery.FAILED]},
            )
        else:
            invite.delivery = Delivery.SENT
            invite.sent_at = now
            invite.provider_id = provider_id[:100]
            invite.save(update_fields=["delivery", "sent_at", "provider_id"])
            _event(invite.incident, EventKind.INVITE_DELIVERED)
            _audit(
                SYSTEM,
                "invite.deliver",
                invite,
                {"delivery": [Delivery.PENDING, Delivery.SENT]},
            )
        publish(invite.incident_id, {"type": "invites"})
        return invite.delivery


def _refuse(code: str, invite: Invite | None) -> InviteRefused:
    if invite is not None:
        with transaction.atomic():
            _event(invite.incident, EventKind.INVITE_REFUSED, code, by_caller=True)
            _audit(SYSTEM, "invite.refuse", invite, {"code": [None, code]})
    else:
        logger.warning("Live119 invite refused: unknown token")
    return InviteRefused(code, invite)


def _check_invite(token: str, *, count: bool, connect: bool = False) -> Invite:
    if not isinstance(token, str) or not _TOKEN_RE.match(token):
        raise _refuse(InviteRefusal.UNKNOWN, None)
    digest = token_hash(token)
    refusal = ""
    max_opens = int(_conf("INVITE_MAX_OPENS", 20))
    with transaction.atomic():
        # One indexed lookup of the hash: how long it takes says nothing about
        # how close a guess was (the attacker cannot choose the hash).
        invite = (
            Invite.objects.select_for_update()
            .select_related("incident__centre")
            .filter(token_hash=digest)
            .first()
        )
        if invite is None:
            refusal = InviteRefusal.UNKNOWN
        elif invite.incident.state != IncidentState.OPEN:
            refusal = InviteRefusal.CLOSED
        elif invite.revoked_at is not None:
            refusal = InviteRefusal.REVOKED
        elif invite.expires_at <= timezone.now():
            refusal = InviteRefusal.EXPIRED
        elif count and invite.opens >= max_opens:
            refusal = InviteRefusal.USED_UP
            if invite.opens == max_opens:
                # Remember that the limit was passed (opens = limit + 1): new
                # connections of the caller's socket are refused from now on.
                invite.opens += 1
                invite.save(update_fields=["opens"])
        elif connect and invite.opens > max_opens:
            refusal = InviteRefusal.USED_UP
        elif count:
            before = invite.opens
            invite.opens += 1
            invite.last_opened_at = timezone.now()
            invite.save(update_fields=["opens", "last_opened_at"])
            _event(
                invite.incident,
                EventKind.INVITE_OPENED,
                str(invite.opens),
                by_caller=True,
            )
            _audit(SYSTEM, "invite.open", invite, {"opens": [before, invite.opens]})
            publish(invite.incident_id, {"type": "invites"})
    if refusal:
        raise _refuse(refusal, invite)
    assert invite is not None
    return invite


def invite_open(token: str) -> Invite:
    """The caller opens their link (page load): check the token and count the
    opening. Raises :class:`InviteRefused` with code ``unknown`` (forged),
    ``expired``, ``revoked``, ``used_up`` (more than ``INVITE_MAX_OPENS``) or
    ``closed`` (the incident ended). Opening again is allowed: a mistapped
    permission must not end the call."""
    return _check_invite(token, count=True)


def invite_check(*, token: str) -> Invite:
    """Check a token like :func:`invite_open` without counting an opening: for the
    caller's WebSocket (re)connecting after the page opened, so a flaky network
    does not use up the link."""
    return _check_invite(token, count=False)


def invite_connect(*, token: str) -> Invite:
    """Check a token for a new connection of the caller's WebSocket: like
    :func:`invite_check` (no opening counted), but a link whose page was refused
    for being opened too often (``used_up``) connects no more."""
    return _check_invite(token, count=False, connect=True)


def invite_revoke(*, actor: Any, invite: Invite) -> Invite:
    """Withdraw a link (sent to a wrong number, for example). Idempotent."""
    _require_dispatch(actor, invite.incident)
    with transaction.atomic():
        locked = Invite.objects.select_for_update().get(pk=invite.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        _event(invite.incident, EventKind.INVITE_REVOKED, actor=actor)
        _audit(actor, "invite.revoke", locked, {"revoked": [False, True]})
        # Only the caller of this link is ended (the consumers read ``invite``);
        # another link of the incident, and the video, go on.
        publish(
            invite.incident_id,
            {"type": "ended", "reason": "revoked", "invite": locked.pk},
        )
    return locked


def caller_end(*, invite: Invite) -> None:
    """The caller ended their video (the ``end`` message): noted on the timeline.
    The link stays usable while the incident is open, so they can come back."""
    with transaction.atomic():
        _event(invite.incident, EventKind.CALLER_ENDED, by_caller=True)
        _audit(SYSTEM, "invite.end", invite, {"live": [True, False]})
    publish(invite.incident_id, {"type": "presence", "caller_connected": False})


def live_end(*, actor: Any, incident: Incident) -> Incident:
    """The dispatcher ends the live part of an incident (video, guidance) while the
    incident stays open: every link is withdrawn, so a caller cannot rejoin."""
    _require_dispatch(actor, incident)
    with transaction.atomic():
        locked = _locked(incident)
        now = timezone.now()
        revoked = Invite.objects.filter(
            incident=locked, revoked_at__isnull=True
        ).update(revoked_at=now)
        GuidancePlay.objects.filter(incident=locked, stopped_at__isnull=True).update(
            stopped_at=now
        )
        _event(locked, EventKind.LIVE_ENDED, actor=actor)
        _audit(actor, "incident.live_end", locked, {"invites_ended": [None, revoked]})
        publish(locked.pk, {"type": "ended", "reason": "live_end"})
    return locked


def caller_may_send(*, invite: Invite) -> Incident:
    """The incident a caller's message goes to, read afresh (one SELECT). A
    connected caller keeps sending after the link's opening window expired; a
    withdrawn link or a closed incident stops them (:class:`InviteRefused`).

    The caller's socket calls it when it connects and then at most every
    ``CALLER_RECHECK_SECONDS`` (besides the ``ended`` event, which stops it at
    once), not for every message (docs/live119.md, "Persistence")."""
    fresh = Invite.objects.select_related("incident__centre").get(pk=invite.pk)
    if fresh.incident.state != IncidentState.OPEN:
        raise InviteRefused(InviteRefusal.CLOSED, fresh)
    if fresh.revoked_at is not None:
        raise InviteRefused(InviteRefusal.REVOKED, fresh)
    return fresh.incident


# --- what the caller sends -----------------------------------------------------


def _float(value: Any, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError({name: _("Not a number.")}) from None
    if number != number or not low <= number <= high:  # NaN or out of range
        raise ValidationError({name: _("Out of range.")})
    return number


def _optional(value: Any, name: str, low: float, high: float) -> float | None:
    return None if value is None or value == "" else _float(value, name, low, high)


def _position_fix(
    *,
    incident_id: int,
    invite_id: int | None,
    source: str,
    lat: Any,
    lng: Any,
    accuracy: Any,
    heading: Any,
    speed: Any,
    client_at: Any,
) -> LocationFix:
    """A checked, unsaved position (no database access)."""
    fix_time = None
    if client_at not in (None, ""):
        try:
            fix_time = datetime.fromtimestamp(float(client_at) / 1000, tz=UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            fix_time = None
    return LocationFix(
        incident_id=incident_id,
        invite_id=invite_id,
        source=source,
        lat=_float(lat, "lat", -90, 90),
        lng=_float(lng, "lng", -180, 180),
        accuracy=_optional(accuracy, "accuracy", 0, 1_000_000),
        heading=_optional(heading, "heading", 0, 360),
        speed=_optional(speed, "speed", 0, 1000),
        client_at=fix_time,
        received_at=timezone.now(),
    )


def caller_position(
    *,
    invite: Invite,
    lat: Any,
    lng: Any,
    accuracy: Any = None,
    heading: Any = None,
    speed: Any = None,
    client_at: Any = None,
) -> LocationFix:
    """A position from the caller's phone, checked but NOT stored, and without a
    database access (safe on the event loop): the caller's socket, which has
    checked ``invite`` (:func:`caller_may_send`), publishes it at once and stores
    it in a batch with :func:`positions_store` within ``POSITION_FLUSH_SECONDS``
    (docs/live119.md, "Persistence"). Raises ``ValidationError``."""
    return _position_fix(
        incident_id=int(invite.incident_id),
        invite_id=int(invite.pk),
        source=PositionSource.CALLER,
        lat=lat,
        lng=lng,
        accuracy=accuracy,
        heading=heading,
        speed=speed,
        client_at=client_at,
    )


def positions_store(fixes: list[LocationFix]) -> int:
    """Store a batch of the callers' positions made by :func:`caller_position`
    (one INSERT). Positions are their own append-only record (several a minute),
    not copied to the audit trail. Returns how many were stored."""
    if not fixes:
        return 0
    return len(LocationFix.objects.bulk_create(fixes))


def position_record(
    *,
    lat: Any,
    lng: Any,
    invite: Invite | None = None,
    actor: Any = None,
    incident: Incident | None = None,
    accuracy: Any = None,
    heading: Any = None,
    speed: Any = None,
    client_at: Any = None,
) -> LocationFix:
    """Store a position at once and publish it after commit: the caller's phone
    (``invite``, checked now) or one a dispatcher enters (``actor`` +
    ``incident``). ``client_at`` is the phone's time of the fix in ms since the
    epoch (the protocol's ``at``). A position entered by a dispatcher is audited.
    (The caller's socket uses :func:`caller_position` + :func:`positions_store`.)
    """
    if invite is not None:
        target = caller_may_send(invite=invite)
        source = PositionSource.CALLER
    else:
        if incident is None:
            raise ValueError("position_record needs an invite or an incident")
        _require_dispatch(actor, incident)
        _require_open(incident)
        target = incident
        source = PositionSource.DISPATCHER
    fix = _position_fix(
        incident_id=target.pk,
        invite_id=invite.pk if invite is not None else None,
        source=source,
        lat=lat,
        lng=lng,
        accuracy=accuracy,
        heading=heading,
        speed=speed,
        client_at=client_at,
    )
    fix.save(force_insert=True)
    if source == PositionSource.DISPATCHER:
        _audit(actor, "position.enter", target, {"position": [None, str(fix)]})
    publish(target.pk, {"type": "position", **selectors.position_dict(fix)})
    return fix


def chat_post(
    *,
    text: str,
    incident: Incident | None = None,
    actor: Any = None,
    invite: Invite | None = None,
    checked: Incident | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
) -> ChatMessage:
    """A chat message from the caller (``invite``), a dispatcher or an assigned
    unit (``actor`` + ``incident``). Stored and audited with its text before
    anyone sees it.

    ``checked``: the caller's incident as the caller's socket checked it
    (:func:`caller_may_send`, at most a few seconds ago), instead of reading the
    invite again. ``loop``: the event loop of the consumer calling (from its
    database thread): the message is handed to it at commit, before the audit
    trail's own work at commit, without the thread waiting for it to be sent."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write a message.")})
    if len(text) > CHAT_MAX_LENGTH:
        raise ValidationError(
            {"text": _("At most %(n)s characters.") % {"n": CHAT_MAX_LENGTH}}
        )
    if invite is not None:
        if checked is not None:
            if int(checked.pk) != int(invite.incident_id):
                raise ValueError("the checked incident is not the invite's")
            target = checked
        else:
            target = caller_may_send(invite=invite)
        sender, author = Sender.CALLER, None
    else:
        if incident is None:
            raise ValueError("chat_post needs an invite or an incident")
        if selectors.can_dispatch(actor, incident):
            sender = Sender.DISPATCHER
        elif selectors.can_view(actor, incident):
            sender = Sender.UNIT
        else:
            raise PermissionDenied
        _require_open(incident)
        target, author = incident, _user(actor)
    with transaction.atomic():
        message = ChatMessage.objects.create(
            incident=target,
            sender=sender,
            author=author,
            text=text,
            created_at=timezone.now(),
        )
        if loop is not None:
            events.publish_on_commit_nowait(
                target.pk,
                {"type": "chat", **selectors.chat_message_dict(message)},
                loop=loop,
            )
        _audit(
            actor if invite is None else SYSTEM,
            "chat.post",
            target,
            {"sender": [None, sender], "text": [None, text]},
        )
    if loop is None:
        publish(target.pk, {"type": "chat", **selectors.chat_message_dict(message)})
    return message


# --- guidance videos -----------------------------------------------------------


def guidance_upload(
    *,
    actor: Any,
    file: UploadedFile,  # type: ignore[type-arg]
    title_ja: str,
    title_en: str = "",
    centre: Any = None,
    is_sample: bool = False,
) -> GuidanceVideo:
    """Add a first-aid video (mp4 or webm, checked on its content) to the library
    of the actor's centre (or ``centre``, for the system)."""
    centre = centre or selectors.centre_of(actor)
    if centre is None or not selectors.can_dispatch_for(actor, centre):
        raise PermissionDenied
    title_ja, title_en = title_ja.strip(), title_en.strip()
    if not title_ja:
        raise ValidationError({"title_ja": _("Enter a Japanese title.")})
    limit = int(_conf("GUIDANCE_MAX_BYTES", GUIDANCE_MAX_BYTES))
    checked = check_guidance_video(file, limit=limit)
    file.seek(0)
    name = live119_storage.save(f"guidance/video.{checked.extension}", file)
    try:
        with transaction.atomic():
            if GuidanceVideo.objects.filter(
                centre=centre, title_ja=title_ja, is_active=True
            ).exists():
                raise ValidationError(
                    {"title_ja": _("The library already has a video with this title.")}
                )
            video = GuidanceVideo.objects.create(
                centre=centre,
                title_ja=title_ja[:100],
                title_en=title_en[:150],
                file=name,
                content_type=checked.content_type,
                size=checked.size,
                duration=checked.duration,
                is_sample=is_sample,
                uploaded_by=_user(actor),
                uploaded_at=timezone.now(),
            )
            _audit(
                actor,
                "guidance.upload",
                video,
                {
                    "title_ja": [None, video.title_ja],
                    "title_en": [None, video.title_en],
                    "size": [None, video.size],
                },
            )
    except Exception:
        live119_storage.delete(name)  # nothing was kept: no file either
        raise
    return video


def guidance_remove(*, actor: Any, video: GuidanceVideo) -> GuidanceVideo:
    """Take a video out of the library (plays keep pointing to it)."""
    if not selectors.can_dispatch_for(actor, video.centre):
        raise PermissionDenied
    with transaction.atomic():
        if not video.is_active:
            return video
        video.is_active = False
        video.save(update_fields=["is_active"])
        _audit(actor, "guidance.remove", video, {"is_active": [True, False]})
    return video


def guidance_play(
    *, actor: Any, incident: Incident, video: GuidanceVideo
) -> GuidancePlay:
    """Play a library video on the caller's phone (stops the one playing)."""
    _require_dispatch(actor, incident)
    if not video.is_active or not selectors.can_dispatch_for(actor, video.centre):
        raise PermissionDenied
    with transaction.atomic():
        locked = _locked(incident)
        _require_open(locked)
        now = timezone.now()
        GuidancePlay.objects.filter(incident=locked, stopped_at__isnull=True).update(
            stopped_at=now
        )
        play = GuidancePlay.objects.create(
            incident=locked, video=video, played_by=_user(actor), played_at=now
        )
        _event(locked, EventKind.GUIDANCE_PLAYED, video.title_ja, actor=actor)
        _audit(actor, "guidance.play", locked, {"video": [None, video.title_ja]})
        publish(locked.pk, {"type": "guidance", "video": video.as_dict()})
    return play


def guidance_stop(*, actor: Any, incident: Incident) -> int:
    """Stop the guidance video on the caller's phone; how many were stopped."""
    _require_dispatch(actor, incident)
    with transaction.atomic():
        stopped = GuidancePlay.objects.filter(
            incident=incident, stopped_at__isnull=True
        ).update(stopped_at=timezone.now())
        if stopped:
            _event(incident, EventKind.GUIDANCE_STOPPED, actor=actor)
            _audit(actor, "guidance.stop", incident, {"playing": [True, False]})
            publish(incident.pk, {"type": "guidance", "video": None})
    return stopped


# --- recordings ----------------------------------------------------------------


def recording_path(recording: Recording) -> Path:
    """Where the media backend writes a recording's file (absolute)."""
    return live119_storage.path_of(recording.file.name or "")


def recording_start(
    *, actor: Any, incident: Incident, extension: str = "webm"
) -> Recording:
    """Mark a recording as running and choose its file; the media backend writes
    to :func:`recording_path` and calls :func:`recording_register` at the end."""
    _require_dispatch(actor, incident)
    try:
        with transaction.atomic():
            locked = _locked(incident)
            _require_open(locked)
            recording = Recording.objects.create(
                incident=locked,
                file=new_name("recordings", extension),
                content_type=f"video/{extension}",
                started_by=_user(actor),
                started_at=timezone.now(),
            )
            _event(locked, EventKind.RECORDING_STARTED, actor=actor)
            _audit(actor, "recording.start", recording, {"running": [False, True]})
    except IntegrityError:
        raise ValidationError(
            _("A recording is already running."), code="running"
        ) from None
    recording_path(recording).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    publish(incident.pk, {"type": "recording", "on": True})
    return recording


def _delete_after(stopped_at: datetime) -> date:
    days = int(_conf("RECORDING_RETENTION_DAYS", 90))
    return timezone.localdate(stopped_at) + timedelta(days=days)


def recording_register(
    *,
    incident: Incident,
    path: str | Path,
    started_at: datetime,
    stopped_at: datetime,
    duration: float,
    frames: int,
    size: int | None = None,
    content_type: str = "",
    actor: Any = SYSTEM,
) -> Recording:
    """A recording the media backend finished: keep it with the incident until the
    retention period (``RECORDING_RETENTION_DAYS``) ends. ``path`` must be under
    ``RECORDINGS_ROOT``; the row made by :func:`recording_start` for it is
    completed, or a new one is made. Idempotent for the same path."""
    name = live119_storage.relative_name(path)
    if size is None:
        size = Path(path).stat().st_size if Path(path).exists() else 0
    suffix = Path(name).suffix.lstrip(".").lower()
    with transaction.atomic():
        recording = (
            Recording.objects.select_for_update()
            .filter(incident=incident, file=name)
            .first()
        )
        if recording is not None and recording.stopped_at is not None:
            return recording
        if recording is None:
            recording = Recording(incident=incident, file=name, started_at=started_at)
        recording.started_at = recording.started_at or started_at
        recording.stopped_at = stopped_at
        recording.duration = max(float(duration), 0.0)
        recording.frames = max(int(frames), 0)
        recording.size = max(int(size), 0)
        recording.content_type = content_type or (
            "video/mp4" if suffix == "mp4" else "video/webm"
        )
        recording.delete_after = _delete_after(stopped_at)
        recording.save()
        _event(
            incident,
            EventKind.RECORDING_STOPPED,
            f"{recording.duration:.0f} s",
            actor=actor,
        )
        _audit(
            actor,
            "recording.register",
            recording,
            {
                "duration": [None, round(recording.duration, 1)],
                "frames": [None, recording.frames],
                "size": [None, recording.size],
                "delete_after": [None, recording.delete_after],
            },
        )
        publish(incident.pk, {"type": "recording", "on": False})
    return recording


def recording_opened(*, actor: Any, recording: Recording) -> None:
    """Record that ``actor`` watched (or downloaded) a recording. Every viewing is
    in the audit trail."""
    if not selectors.recording_list(actor=actor).filter(pk=recording.pk).exists():
        raise PermissionDenied
    with transaction.atomic():
        _audit(
            actor,
            "recording.view",
            recording,
            {"incident": [None, str(recording.incident)]},
        )


def recordings_purge(*, today: date | None = None) -> int:
    """Delete the files of recordings past their retention (``delete_after`` has
    come); the rows stay, marked deleted. Idempotent. How many were deleted."""
    today = today or timezone.localdate()
    due = Recording.objects.filter(
        deleted_at__isnull=True,
        stopped_at__isnull=False,
        delete_after__lte=today,
    ).values_list("pk", flat=True)
    deleted = 0
    for pk in list(due):
        with transaction.atomic():
            recording = (
                Recording.objects.select_for_update()
                .filter(pk=pk, deleted_at__isnull=True)
                .first()
            )
            if recording is None:
                continue
            name = recording.file.name
            if name:
                live119_storage.delete(name)
            recording.file = ""
            recording.deleted_at = timezone.now()
            recording.save(update_fields=["file", "deleted_at"])
            _audit(
                SYSTEM,
                "recording.purge",
                recording,
                {"delete_after": [str(recording.delete_after), None]},
            )
            deleted += 1
    return deleted


# --- still images --------------------------------------------------------------

_DATA_URL = re.compile(r"^data:(image/(?:jpeg|png));base64,([A-Za-z0-9+/=\s]+)$")


def snapshot_save(*, actor: Any, incident: Incident, data_url: str) -> Snapshot:
    """Keep a still image taken from the caller's video (a JPEG or PNG data URL,
    checked on its content)."""
    _require_dispatch(actor, incident)
    match = _DATA_URL.match(data_url or "")
    if match is None:
        raise ValidationError(_("Not an image."), code="type")
    if len(match.group(2)) > SNAPSHOT_MAX_BYTES * 4 // 3 + 4:
        raise ValidationError(_("The image is too large."), code="too_large")
    try:
        content = base64.b64decode(match.group(2), validate=False)
    except (binascii.Error, ValueError):
        raise ValidationError(_("Not an image."), code="type") from None
    content_type, extension = check_still_image(content, limit=SNAPSHOT_MAX_BYTES)
    with transaction.atomic():
        locked = _locked(incident)
        snapshot = Snapshot(
            incident=locked,
            content_type=content_type,
            size=len(content),
            taken_by=_user(actor),
            taken_at=timezone.now(),
        )
        snapshot.image.save(
            f"snapshots/still.{extension}", ContentFile(content), save=False
        )
        snapshot.save()
        _event(locked, EventKind.SNAPSHOT, actor=actor)
        _audit(actor, "snapshot.save", snapshot, {"size": [None, len(content)]})
    return snapshot
