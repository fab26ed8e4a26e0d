"""What happens during the call: positions, chat, guidance videos, still images,
recordings (with retention) and the STUN/TURN servers handed to browsers."""

import base64
import hashlib
import hmac
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

import pytest

from yorisou.core.models import AuditEvent
from yorisou.emergency import selectors, services
from yorisou.emergency.models import GuidanceVideo, Invite, LocationFix, Recording
from yorisou.emergency.storage import live119_storage

pytestmark = pytest.mark.usefixtures("live119_settings")


def upload(
    actor: Any, content: bytes, title: str = "心肺蘇生", name: str = "v.mp4"
) -> Any:
    return services.guidance_upload(
        actor=actor,
        file=SimpleUploadedFile(name, content, content_type="video/mp4"),
        title_ja=title,
        title_en="CPR",
    )


# --- positions and chat -------------------------------------------------------


def test_caller_position_is_stored_with_its_phone_time(sent_invite: Any) -> None:
    invite = services.invite_open(sent_invite.token)
    fix = services.position_record(
        invite=invite,
        lat="32.8031",
        lng=130.7079,
        accuracy=12,
        heading=None,
        speed="",
        client_at=1_760_000_000_000,
    )
    assert fix.source == "caller" and fix.invite == invite
    assert fix.client_at is not None
    assert fix.client_at.timestamp() == 1_760_000_000
    state = selectors.incident_state(invite.incident)
    assert state["position"]["lat"] == pytest.approx(32.8031)
    assert state["position"]["accuracy"] == 12


@pytest.mark.parametrize(
    ("lat", "lng"), [(91, 0), (0, 181), ("nan", 0), ("north", 0), (None, 0)]
)
def test_positions_off_the_earth_are_refused(
    sent_invite: Any, lat: Any, lng: Any
) -> None:
    with pytest.raises(ValidationError):
        services.position_record(invite=sent_invite, lat=lat, lng=lng)
    assert not LocationFix.objects.exists()


def test_caller_stops_sending_when_the_link_is_withdrawn(
    dispatcher: Any, sent_invite: Any
) -> None:
    services.invite_revoke(actor=dispatcher, invite=sent_invite)
    with pytest.raises(services.InviteRefused):
        services.position_record(invite=sent_invite, lat=32.8, lng=130.7)
    with pytest.raises(services.InviteRefused):
        services.chat_post(invite=sent_invite, text="助けて")


def test_caller_keeps_sending_after_the_opening_window(sent_invite: Any) -> None:
    from yorisou.emergency.models import Invite

    Invite.objects.filter(pk=sent_invite.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    services.position_record(invite=sent_invite, lat=32.8, lng=130.7)


def test_caller_position_is_checked_without_the_database(
    sent_invite: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        fix = services.caller_position(
            invite=sent_invite, lat=32.8, lng="130.7", accuracy=5, client_at=""
        )
        with pytest.raises(ValidationError):
            services.caller_position(invite=sent_invite, lat=32.8, lng=200)
    assert fix.pk is None and fix.source == "caller"
    assert fix.incident_id == sent_invite.incident_id
    assert services.positions_store([fix]) == 1
    assert services.positions_store([]) == 0
    assert LocationFix.objects.get().invite_id == sent_invite.pk


def test_caller_chat_with_a_checked_incident_reads_no_invite(
    sent_invite: Any, incident: Any, dispatcher: Any
) -> None:
    checked = services.caller_may_send(invite=sent_invite)
    message = services.chat_post(invite=sent_invite, text="助けて", checked=checked)
    assert message.sender == "caller" and message.incident_id == incident.pk
    other = services.incident_open(
        actor=dispatcher, centre=incident.centre, kind=incident.kind
    )
    with pytest.raises(ValueError):
        services.chat_post(invite=sent_invite, text="x", checked=other)


def test_invites_refused_reads_the_links_together(
    dispatcher: Any, incident: Any, sent_invite: Any, django_assert_num_queries: Any
) -> None:
    other = services.invite_send(
        actor=dispatcher, incident=incident, phone="080-2222-3333"
    )
    Invite.objects.filter(pk=other.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    ids = [sent_invite.pk, other.pk, 999_999]
    with django_assert_num_queries(1):
        assert selectors.invites_refused(invite_ids=ids) == {999_999: "unknown"}
    services.invite_revoke(actor=dispatcher, invite=sent_invite)
    assert selectors.invites_refused(invite_ids=ids) == {
        sent_invite.pk: "revoked",
        999_999: "unknown",
    }
    services.incident_close(actor=dispatcher, incident=incident)
    assert selectors.invites_refused(invite_ids=ids[:2]) == {
        sent_invite.pk: "closed",
        other.pk: "closed",
    }


def test_dispatcher_position_is_audited(dispatcher: Any, incident: Any) -> None:
    services.position_record(actor=dispatcher, incident=incident, lat=1, lng=2)
    assert AuditEvent.objects.filter(action="emergency.position.enter").exists()


def test_chat_senders_and_permissions(
    dispatcher: Any,
    other_dispatcher: Any,
    chuo_unit: Any,
    higashi_unit: Any,
    incident: Any,
    sent_invite: Any,
    fire: Any,
) -> None:
    services.unit_assign(actor=dispatcher, incident=incident, unit=fire["chuo"])
    caller = services.chat_post(invite=sent_invite, text="  胸が痛いです ")
    staff = services.chat_post(actor=dispatcher, incident=incident, text="向かいます")
    unit = services.chat_post(actor=chuo_unit, incident=incident, text="到着3分")
    assert [caller.sender, staff.sender, unit.sender] == [
        "caller",
        "dispatcher",
        "unit",
    ]
    assert caller.text == "胸が痛いです" and caller.author is None
    for outsider in (other_dispatcher, higashi_unit):
        with pytest.raises(PermissionDenied):
            services.chat_post(actor=outsider, incident=incident, text="x")
    with pytest.raises(ValidationError):
        services.chat_post(actor=dispatcher, incident=incident, text="   ")
    with pytest.raises(ValidationError):
        services.chat_post(actor=dispatcher, incident=incident, text="あ" * 1001)
    texts = [
        e.changes["text"][1]
        for e in AuditEvent.objects.filter(action="emergency.chat.post").order_by("id")
    ]
    assert texts == ["胸が痛いです", "向かいます", "到着3分"]


def test_caller_end_and_live_end(
    dispatcher: Any, incident: Any, sent_invite: Any
) -> None:
    services.caller_end(invite=sent_invite)
    services.invite_open(sent_invite.token)  # the caller may come back
    services.live_end(actor=dispatcher, incident=incident)
    with pytest.raises(services.InviteRefused) as refused:
        services.invite_open(sent_invite.token)
    assert refused.value.code == "revoked"
    incident.refresh_from_db()
    assert incident.is_open


# --- guidance videos ----------------------------------------------------------


def test_guidance_upload_checks_the_content(dispatcher: Any, sample_mp4: bytes) -> None:
    video = upload(dispatcher, sample_mp4)
    assert video.content_type == "video/mp4"
    assert video.duration == pytest.approx(6, abs=0.5)
    assert video.size == len(sample_mp4)
    assert live119_storage.exists(video.file.name)
    assert video.file.name.startswith("guidance/") and video.file.name.endswith(".mp4")
    # a text file called .mp4
    with pytest.raises(ValidationError) as text:
        upload(dispatcher, b"hello, not a video" * 10, title="偽物")
    assert text.value.code == "type"
    # an MP4 header with nothing behind it
    fake = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 200
    with pytest.raises(ValidationError) as broken:
        upload(dispatcher, fake, title="壊れた")
    assert broken.value.code in {"unreadable", "no_video"}
    # a still image is not a video
    with pytest.raises(ValidationError):
        upload(dispatcher, b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, title="画像")
    # the same title twice
    with pytest.raises(ValidationError):
        upload(dispatcher, sample_mp4)
    assert GuidanceVideo.objects.count() == 1
    assert len(list(Path(live119_storage.location).rglob("*.mp4"))) == 1


def test_guidance_upload_size_limit(
    dispatcher: Any, sample_mp4: bytes, settings: Any
) -> None:
    settings.LIVE119 = {**settings.LIVE119, "GUIDANCE_MAX_BYTES": 1000}
    with pytest.raises(ValidationError) as large:
        upload(dispatcher, sample_mp4)
    assert large.value.code == "too_large"


def test_guidance_upload_is_for_dispatchers(chuo_unit: Any, sample_mp4: bytes) -> None:
    with pytest.raises(PermissionDenied):
        upload(chuo_unit, sample_mp4)


def test_guidance_play_and_the_caller_may_load_only_played_videos(
    dispatcher: Any,
    other_dispatcher: Any,
    incident: Any,
    sent_invite: Any,
    sample_mp4: bytes,
) -> None:
    cpr = upload(dispatcher, sample_mp4, title="心肺蘇生")
    aed = upload(dispatcher, sample_mp4, title="AED")
    assert set(selectors.guidance_list(actor=dispatcher)) == {cpr, aed}
    assert list(selectors.guidance_list(actor=other_dispatcher)) == []
    with pytest.raises(GuidanceVideo.DoesNotExist):
        selectors.guidance_for_invite(invite=sent_invite, pk=cpr.pk)
    services.guidance_play(actor=dispatcher, incident=incident, video=cpr)
    services.guidance_play(actor=dispatcher, incident=incident, video=aed)
    state = selectors.incident_state(incident)
    assert state["guidance"]["id"] == aed.pk
    assert selectors.guidance_for_invite(invite=sent_invite, pk=cpr.pk) == cpr
    services.guidance_stop(actor=dispatcher, incident=incident)
    assert selectors.incident_state(incident)["guidance"] is None
    with pytest.raises(PermissionDenied):
        services.guidance_play(actor=other_dispatcher, incident=incident, video=cpr)
    services.guidance_remove(actor=dispatcher, video=cpr)
    with pytest.raises(PermissionDenied):
        services.guidance_play(actor=dispatcher, incident=incident, video=cpr)


# --- still images -------------------------------------------------------------


def _image_data_url(kind: str) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 0, 0)).save(buffer, format=kind)
    mime = "image/jpeg" if kind == "JPEG" else "image/png"
    return f"data:{mime};base64," + base64.b64encode(buffer.getvalue()).decode()


def test_snapshot_save_accepts_jpeg_and_png(
    dispatcher: Any, incident: Any, chuo_unit: Any
) -> None:
    jpeg = services.snapshot_save(
        actor=dispatcher, incident=incident, data_url=_image_data_url("JPEG")
    )
    png = services.snapshot_save(
        actor=dispatcher, incident=incident, data_url=_image_data_url("PNG")
    )
    assert (jpeg.content_type, png.content_type) == ("image/jpeg", "image/png")
    assert live119_storage.exists(jpeg.image.name)
    with pytest.raises(PermissionDenied):
        services.snapshot_save(
            actor=chuo_unit, incident=incident, data_url=_image_data_url("PNG")
        )


@pytest.mark.parametrize(
    "data_url",
    [
        "",
        "data:text/html;base64,PHNjcmlwdD4=",
        "data:image/png;base64," + base64.b64encode(b"<svg></svg>").decode(),
        "data:image/jpeg;base64,"
        + base64.b64encode(b"\xff\xd8\xff" + b"x" * 50).decode(),
    ],
)
def test_snapshot_save_refuses_what_is_not_an_image(
    dispatcher: Any, incident: Any, data_url: str
) -> None:
    with pytest.raises(ValidationError):
        services.snapshot_save(actor=dispatcher, incident=incident, data_url=data_url)


# --- recordings ---------------------------------------------------------------


def _record(dispatcher: Any, incident: Any, content: bytes = b"webm") -> Recording:
    recording = services.recording_start(actor=dispatcher, incident=incident)
    path = services.recording_path(recording)
    path.write_bytes(content)
    now = timezone.now()
    return services.recording_register(
        incident=incident,
        path=path,
        started_at=now - timedelta(seconds=30),
        stopped_at=now,
        duration=30.2,
        frames=450,
    )


def test_recording_start_and_register(dispatcher: Any, incident: Any) -> None:
    recording = services.recording_start(actor=dispatcher, incident=incident)
    assert selectors.incident_state(incident)["recording"] is True
    with pytest.raises(ValidationError):
        services.recording_start(actor=dispatcher, incident=incident)
    path = services.recording_path(recording)
    assert path.is_relative_to(Path(live119_storage.location))
    path.write_bytes(b"x" * 100)
    now = timezone.now()
    done = services.recording_register(
        incident=incident,
        path=path,
        started_at=now,
        stopped_at=now,
        duration=12.5,
        frames=300,
    )
    assert done.pk == recording.pk
    assert done.size == 100 and done.frames == 300
    assert done.delete_after == timezone.localdate(now) + timedelta(days=90)
    assert selectors.incident_state(incident)["recording"] is False
    # registering again changes nothing
    again = services.recording_register(
        incident=incident,
        path=path,
        started_at=now,
        stopped_at=now,
        duration=1,
        frames=1,
    )
    assert again.frames == 300


def test_recording_register_refuses_a_path_outside_the_root(
    incident: Any, tmp_path: Path
) -> None:
    from django.core.exceptions import SuspiciousFileOperation

    now = timezone.now()
    with pytest.raises(SuspiciousFileOperation):
        services.recording_register(
            incident=incident,
            path=tmp_path / "elsewhere.webm",
            started_at=now,
            stopped_at=now,
            duration=1,
            frames=1,
        )


def test_recordings_are_for_the_centre_and_every_view_is_audited(
    dispatcher: Any,
    other_dispatcher: Any,
    chuo_unit: Any,
    incident: Any,
    fire: Any,
) -> None:
    services.unit_assign(actor=dispatcher, incident=incident, unit=fire["chuo"])
    recording = _record(dispatcher, incident)
    assert list(selectors.recording_list(actor=dispatcher)) == [recording]
    for outsider in (other_dispatcher, chuo_unit):
        with pytest.raises(Recording.DoesNotExist):
            selectors.recording_get(actor=outsider, pk=recording.pk)
        with pytest.raises(PermissionDenied):
            services.recording_opened(actor=outsider, recording=recording)
    services.recording_opened(actor=dispatcher, recording=recording)
    services.recording_opened(actor=dispatcher, recording=recording)
    views = AuditEvent.objects.filter(
        action="emergency.recording.view", target_id=str(recording.pk)
    )
    assert views.count() == 2
    assert {v.actor_id for v in views} == {dispatcher.pk}


def test_recordings_purge_by_retention(dispatcher: Any, incident: Any) -> None:
    recording = _record(dispatcher, incident)
    path = services.recording_path(recording)
    keep = _record(dispatcher, incident)
    day = recording.delete_after
    assert day is not None
    Recording.objects.filter(pk=keep.pk).update(delete_after=day + timedelta(days=1))
    assert path.exists()
    assert services.recordings_purge(today=day - timedelta(days=1)) == 0
    assert services.recordings_purge(today=day) == 1
    assert services.recordings_purge(today=day) == 0  # idempotent
    recording.refresh_from_db()
    assert recording.deleted_at is not None and not recording.file
    assert not path.exists()
    assert services.recording_path(keep).exists()
    assert AuditEvent.objects.filter(action="emergency.recording.purge").count() == 1


def test_purge_task_runs(dispatcher: Any, incident: Any) -> None:
    from yorisou.emergency import tasks

    recording = _record(dispatcher, incident)
    assert recording.delete_after is not None
    tasks.recordings_purge.delay(recording.delete_after.isoformat())
    recording.refresh_from_db()
    assert recording.deleted_at is not None


# --- STUN / TURN --------------------------------------------------------------


def test_turn_credentials_follow_coturn_use_auth_secret(
    settings: Any, incident: Any
) -> None:
    settings.LIVE119 = {
        **settings.LIVE119,
        "TURN_SECRET": "north-wind",
        "TURN_URLS": ["turn:turn.example.jp:3478?transport=udp"],
        "TURN_TTL_SECONDS": 600,
    }
    creds = services.turn_credentials(incident=incident, now=1_700_000_000)
    assert creds is not None
    assert creds["username"] == f"1700000600:incident-{incident.pk}"
    expected = base64.b64encode(
        hmac.new(b"north-wind", creds["username"].encode(), hashlib.sha1).digest()
    ).decode()
    assert creds["credential"] == expected
    assert creds["urls"] == ["turn:turn.example.jp:3478?transport=udp"]


def test_ice_servers_for_staff_and_the_caller(
    settings: Any,
    dispatcher: Any,
    other_dispatcher: Any,
    incident: Any,
    sent_invite: Any,
) -> None:
    assert selectors.ice_servers(incident=incident, actor=dispatcher) == []
    settings.LIVE119 = {
        **settings.LIVE119,
        "STUN_URLS": ["stun:stun.example.jp:3478"],
        "TURN_URLS": ["turn:turn.example.jp:3478"],
        "TURN_SECRET": "s",
    }
    servers = selectors.ice_servers(incident=incident, invite=sent_invite)
    assert servers[0] == {"urls": ["stun:stun.example.jp:3478"]}
    assert set(servers[1]) == {"urls", "username", "credential"}
    with pytest.raises(PermissionDenied):
        selectors.ice_servers(incident=incident, actor=other_dispatcher)
    other = services.incident_open(actor=dispatcher, kind="fire")
    with pytest.raises(PermissionDenied):
        selectors.ice_servers(incident=other, invite=sent_invite)
