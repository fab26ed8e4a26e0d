"""The Live119 pages: who gets what, forms with field errors, files served with
byte ranges, the caller's page, and the list's query count."""

from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

import pytest

from yorisou.core.models import AuditEvent
from yorisou.emergency import services
from yorisou.emergency.models import Incident, Invite

pytestmark = pytest.mark.usefixtures("live119_settings")


def test_dispatcher_opens_an_incident_from_the_list(
    client: Any, dispatcher: Any
) -> None:
    client.force_login(dispatcher)
    page = client.get(reverse("emergency:incidents"))
    assert page.status_code == 200
    response = client.post(
        reverse("emergency:incidents"),
        {
            "caller_phone": "090-1234-5678",
            "kind": "fire",
            "address": "東区",
            "notes": "",
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("emergency:incident", args=[incident.pk])
    assert client.get(response["Location"]).status_code == 200


def test_new_incident_form_shows_field_errors(client: Any, dispatcher: Any) -> None:
    client.force_login(dispatcher)
    response = client.post(
        reverse("emergency:incidents"),
        {"caller_phone": "123", "kind": "fire"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "form" in response.context
    assert "caller_phone" in response.context["form"].errors
    assert not Incident.objects.exists()


def test_list_page_query_count_is_fixed(
    client: Any,
    dispatcher: Any,
    chuo_unit: Any,
    fire: Any,
    django_assert_max_num_queries: Any,
) -> None:
    client.force_login(dispatcher)

    def add(n: int) -> None:
        for _ in range(n):
            incident = services.incident_open(actor=dispatcher, kind="fire")
            services.unit_assign(actor=dispatcher, incident=incident, unit=fire["chuo"])

    add(2)
    client.get(reverse("emergency:incidents"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("emergency:incidents"))
    add(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("emergency:incidents"))


def test_unit_sees_its_incident_read_only(
    client: Any, dispatcher: Any, chuo_unit: Any, incident: Any, fire: Any
) -> None:
    services.unit_assign(actor=dispatcher, incident=incident, unit=fire["chuo"])
    client.force_login(chuo_unit)
    assert client.get(reverse("emergency:incidents")).status_code == 302
    listing = client.get(reverse("emergency:unit"))
    assert incident.number in listing.content.decode()
    page = client.get(reverse("emergency:incident", args=[incident.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("emergency:incident_close", args=[incident.pk]) not in html
    assert reverse("emergency:invite_send", args=[incident.pk]) not in html
    assert (
        client.post(reverse("emergency:incident_close", args=[incident.pk])).status_code
        == 403
    )
    assert client.get(reverse("emergency:guidance")).status_code == 403
    assert client.get(reverse("emergency:recordings")).status_code == 403


def test_other_centre_and_unassigned_units_get_404(
    client: Any, other_dispatcher: Any, higashi_unit: Any, incident: Any
) -> None:
    for user in (other_dispatcher, higashi_unit):
        client.force_login(user)
        for name in ("incident",):
            assert (
                client.get(reverse(f"emergency:{name}", args=[incident.pk])).status_code
                == 404
            )
        assert (
            client.post(
                reverse("emergency:incident_close", args=[incident.pk])
            ).status_code
            == 404
        )


def test_citizen_gets_nothing(client: Any, citizen: Any, incident: Any) -> None:
    client.force_login(citizen)
    assert client.get(reverse("emergency:incidents")).status_code == 403
    assert (
        client.get(reverse("emergency:incident", args=[incident.pk])).status_code == 404
    )
    assert client.get(reverse("emergency:unit")).status_code == 403


def test_assign_release_invite_and_close_from_the_page(
    client: Any,
    dispatcher: Any,
    incident: Any,
    chuo_unit: Any,
    fire: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(dispatcher)
    url = reverse("emergency:unit_assign", args=[incident.pk])
    assert client.post(url, {"unit": fire["chuo"].pk}).status_code == 302
    assert client.post(url, {"unit": fire["general"].pk}).status_code == 400
    assignment = incident.assignments.get()
    assert (
        client.post(reverse("emergency:unit_release", args=[assignment.pk])).status_code
        == 302
    )
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            reverse("emergency:invite_send", args=[incident.pk]),
            {"phone": "090-1234-5678"},
        )
    assert sent.status_code == 302
    invite = Invite.objects.get()
    assert invite.delivery == "sent"
    bad = client.post(
        reverse("emergency:invite_send", args=[incident.pk]), {"phone": "03-1234-5678"}
    )
    assert bad.status_code == 400 and "phone" in bad.context["invite_form"].errors
    client.post(reverse("emergency:invite_revoke", args=[incident.pk, invite.pk]))
    assert Invite.objects.get().revoked_at is not None
    closed = client.post(
        reverse("emergency:incident_close", args=[incident.pk]), {"reason": "搬送"}
    )
    assert closed.status_code == 302
    incident.refresh_from_db()
    assert incident.state == "closed"


def test_guidance_library_upload_and_ranged_file(
    client: Any, dispatcher: Any, other_dispatcher: Any, sample_mp4: bytes
) -> None:
    client.force_login(dispatcher)
    response = client.post(
        reverse("emergency:guidance"),
        {
            "title_ja": "心肺蘇生",
            "title_en": "CPR",
            "file": SimpleUploadedFile("cpr.mp4", sample_mp4, content_type="video/mp4"),
        },
    )
    assert response.status_code == 302
    bad = client.post(
        reverse("emergency:guidance"),
        {
            "title_ja": "偽物",
            "file": SimpleUploadedFile(
                "x.mp4", b"not a video", content_type="video/mp4"
            ),
        },
    )
    assert bad.status_code == 400 and "file" in bad.context["form"].errors
    page = client.get(reverse("emergency:guidance"))
    video = page.context["videos"][0]
    url = reverse("emergency:guidance_file", args=[video.pk])
    whole = client.get(url)
    assert whole.status_code == 200
    assert b"".join(whole.streaming_content) == sample_mp4
    part = client.get(url, HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 10-19/{len(sample_mp4)}"
    assert b"".join(part.streaming_content) == sample_mp4[10:20]
    tail = client.get(url, HTTP_RANGE="bytes=-5")
    assert b"".join(tail.streaming_content) == sample_mp4[-5:]
    assert client.get(url, HTTP_RANGE=f"bytes={len(sample_mp4)}-").status_code == 416
    client.force_login(other_dispatcher)
    assert client.get(url).status_code == 404


def test_recording_page_and_file_are_audited(
    client: Any, dispatcher: Any, incident: Any
) -> None:
    recording = services.recording_start(actor=dispatcher, incident=incident)
    path = services.recording_path(recording)
    path.write_bytes(b"\x1a\x45\xdf\xa3" + b"w" * 1000)
    now = timezone.now()
    services.recording_register(
        incident=incident,
        path=path,
        started_at=now - timedelta(seconds=5),
        stopped_at=now,
        duration=5,
        frames=75,
    )
    client.force_login(dispatcher)
    assert client.get(reverse("emergency:recordings")).status_code == 200
    assert (
        client.get(reverse("emergency:recording", args=[recording.pk])).status_code
        == 200
    )
    url = reverse("emergency:recording_file", args=[recording.pk])
    assert client.get(url, HTTP_RANGE="bytes=0-").status_code == 206
    assert client.get(url, HTTP_RANGE="bytes=500-").status_code == 206  # same playback
    views = AuditEvent.objects.filter(action="emergency.recording.view")
    assert views.count() == 2  # the page and the start of playback


def test_caller_page_opens_and_refuses(
    client: Any, sent_invite: Any, dispatcher: Any, sample_mp4: bytes
) -> None:
    url = reverse("emergency:caller", args=[sent_invite.token])
    page = client.get(url)
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0")
    assert page["Referrer-Policy"] == "no-referrer"
    assert Invite.objects.get().opens == 1
    assert client.get(url).status_code == 200  # re-opening is fine
    forged = client.get(reverse("emergency:caller", args=["x" * 43]))
    assert forged.status_code == 404
    # the guidance video the dispatcher sends
    video = services.guidance_upload(
        actor=dispatcher,
        file=SimpleUploadedFile("v.mp4", sample_mp4, content_type="video/mp4"),
        title_ja="AED",
    )
    file_url = reverse("emergency:caller_guidance", args=[sent_invite.token, video.pk])
    assert client.get(file_url).status_code == 404  # not sent yet
    services.guidance_play(actor=dispatcher, incident=sent_invite.incident, video=video)
    assert client.get(file_url, HTTP_RANGE="bytes=0-99").status_code == 206
    Invite.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.get(url)
    assert expired.status_code == 410
    assert 'data-code="expired"' in expired.content.decode()
