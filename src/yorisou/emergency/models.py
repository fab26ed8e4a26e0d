"""Live119 (映像通報): incidents of a command centre, their timeline and units, the
SMS invites of callers, positions, chat, guidance videos, recordings and stills.

Workflows live in ``services``; these models hold data and invariants only.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

import phonenumbers

from yorisou.emergency.constants import (
    Delivery,
    EventKind,
    IncidentKind,
    IncidentState,
    PositionSource,
    Sender,
)
from yorisou.emergency.storage import live119_storage

USER = settings.AUTH_USER_MODEL


def national_phone(e164: str) -> str:
    """A stored E.164 number as people in Japan write it (090-1234-5678)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 81:
        return phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.NATIONAL
        )
    return phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


class IncidentCounter(models.Model):
    """The last incident number given in a year (locked while numbering)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("incident counter")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Incident(models.Model):
    """One 119 call handled by a command centre (指令室の事案), numbered per year
    (``2026-000123``). Open while the centre works on it."""

    centre = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("command centre"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    number = models.CharField(_("incident number"), max_length=20, unique=True)
    caller_phone = models.CharField(
        _("caller's phone number"), max_length=20, blank=True
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=IncidentKind.choices,
        default=IncidentKind.MEDICAL,
    )
    address = models.CharField(_("address or place"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=IncidentState.choices,
        default=IncidentState.OPEN,
    )
    opened_by = models.ForeignKey(
        USER,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"))
    closed_by = models.ForeignKey(
        USER,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["centre", "state", "-opened_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=IncidentState.values),
                name="emergency_incident_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state="open", closed_at__isnull=True)
                | models.Q(state="closed", closed_at__isnull=False),
                name="emergency_incident_closed_at_matches_state",
            ),
        ]

    def __str__(self) -> str:
        # No personal data: this string reaches the audit trail.
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state == IncidentState.OPEN

    @property
    def caller_phone_display(self) -> str:
        return national_phone(self.caller_phone)


class IncidentEvent(models.Model):
    """One line of an incident's timeline (経過). Append-only."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=30, choices=EventKind.choices)
    text = models.CharField(_("details"), max_length=500, blank=True)
    actor = models.ForeignKey(
        USER,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    by_caller = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("incident event")
        verbose_name_plural = _("incident events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["incident", "created_at"])]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind}"


class UnitAssignment(models.Model):
    """A unit (出場隊: the org unit of a fire station or one of its units) sent to
    an incident. Released units keep their row; a unit is assigned once at a time.
    """

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="assignments"
    )
    unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=pgettext_lazy("fire unit", "unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(_("assigned at"))
    released_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("unit assignment")
        verbose_name_plural = _("unit assignments")
        ordering = ["assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "unit"],
                condition=models.Q(released_at__isnull=True),
                name="emergency_unit_assigned_once",
            )
        ]
        indexes = [models.Index(fields=["unit", "released_at"])]

    def __str__(self) -> str:
        return f"{self.incident_id} → {self.unit_id}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None


class Invite(models.Model):
    """A link sent by SMS that lets the caller share video and position (招待).

    Only the SHA-256 of the token is stored; the token itself exists in the SMS and
    in the caller's browser only.
    """

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="invites"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    phone = models.CharField(_("phone number"), max_length=20)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    opens = models.PositiveIntegerField(_("times opened"), default=0)
    last_opened_at = models.DateTimeField(_("last opened at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    delivery = models.CharField(
        _("SMS"), max_length=10, choices=Delivery.choices, default=Delivery.PENDING
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    delivery_error = models.CharField(max_length=300, blank=True)

    # Only on the object ``services.invite_send`` returns; never stored.
    token: str = ""

    class Meta:
        verbose_name = _("invite")
        verbose_name_plural = _("invites")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["incident", "created_at"]),
            models.Index(fields=["phone", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"invite #{self.pk}"

    @property
    def phone_display(self) -> str:
        return national_phone(self.phone)


class LocationFix(models.Model):
    """One position of the caller's phone (or one entered by the dispatcher).

    ``client_at`` is the phone's time of the fix; ``received_at`` the server's.
    """

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="positions"
    )
    invite = models.ForeignKey(
        Invite, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(
        max_length=12, choices=PositionSource.choices, default=PositionSource.CALLER
    )
    lat = models.FloatField(_("latitude"))
    lng = models.FloatField(_("longitude"))
    accuracy = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    heading = models.FloatField(_("heading (°)"), null=True, blank=True)
    speed = models.FloatField(_("speed (m/s)"), null=True, blank=True)
    client_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["received_at", "id"]
        # "the latest per incident" and "the track" are both this index
        indexes = [models.Index(fields=["incident", "-received_at", "-id"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lat__gte=-90, lat__lte=90)
                & models.Q(lng__gte=-180, lng__lte=180),
                name="emergency_locationfix_on_earth",
            )
        ]

    def __str__(self) -> str:
        return f"{self.lat:.5f},{self.lng:.5f}"


class ChatMessage(models.Model):
    """A text message between the caller, the centre and the units."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="chat_messages"
    )
    sender = models.CharField(_("from"), max_length=12, choices=Sender.choices)
    author = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("message"))
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["incident", "created_at"])]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.sender}"


class GuidanceVideo(models.Model):
    """A first-aid video (口頭指導の動画) the dispatcher can play on the caller's
    phone: CPR, AED, stopping bleeding. Belongs to a command centre's library."""

    centre = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("command centre"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title_ja = models.CharField(_("title (Japanese)"), max_length=100)
    title_en = models.CharField(_("title (English)"), max_length=150, blank=True)
    file = models.FileField(storage=live119_storage, upload_to="guidance/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveBigIntegerField(default=0)
    duration = models.FloatField(_("duration (s)"), null=True, blank=True)
    is_active = models.BooleanField(_("in the library"), default=True)
    is_sample = models.BooleanField(_("sample data"), default=False)
    uploaded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("guidance video")
        verbose_name_plural = _("guidance videos")
        ordering = ["title_ja", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "title_ja"],
                condition=models.Q(is_active=True),
                name="emergency_guidance_unique_title",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        language = get_language() or "ja"
        if language.startswith("en") and self.title_en:
            return self.title_en
        return self.title_ja

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.pk,
            "title": self.title,
            "title_ja": self.title_ja,
            "title_en": self.title_en,
            "content_type": self.content_type,
            "duration": self.duration,
        }


class GuidancePlay(models.Model):
    """A guidance video sent to the caller during an incident (until stopped)."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="guidance_plays"
    )
    video = models.ForeignKey(
        GuidanceVideo, on_delete=models.PROTECT, related_name="plays"
    )
    played_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    played_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("guidance video sent")
        ordering = ["played_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=models.Q(stopped_at__isnull=True),
                name="emergency_one_guidance_playing",
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} ▶ {self.video_id}"


class Recording(models.Model):
    """The caller's video recorded by the media backend, kept with the incident
    until ``delete_after`` (録画). ``file`` is empty once the retention purge ran.
    """

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="recordings"
    )
    file = models.FileField(storage=live119_storage, max_length=300, blank=True)
    content_type = models.CharField(max_length=40, default="video/webm")
    started_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"))
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    duration = models.FloatField(_("duration (s)"), null=True, blank=True)
    frames = models.PositiveIntegerField(_("frames"), default=0)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    delete_after = models.DateField(_("delete after"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(
                fields=["delete_after"],
                name="emergency_recording_purge_idx",
                condition=models.Q(deleted_at__isnull=True),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=models.Q(stopped_at__isnull=True),
                name="emergency_one_recording_running",
            )
        ]

    def __str__(self) -> str:
        return f"recording #{self.pk}"

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None

    @property
    def is_available(self) -> bool:
        return bool(self.file) and self.deleted_at is None and not self.is_running


class Snapshot(models.Model):
    """A still image taken from the caller's video by the dispatcher."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="snapshots"
    )
    image = models.FileField(storage=live119_storage, upload_to="snapshots/")
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField(default=0)
    taken_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    taken_at = models.DateTimeField()

    class Meta:
        verbose_name = _("still image")
        verbose_name_plural = _("still images")
        ordering = ["taken_at", "id"]

    def __str__(self) -> str:
        return f"snapshot #{self.pk}"
