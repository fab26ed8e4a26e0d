"""Invites: the token, its rules (expired, used up, withdrawn, closed, forged),
re-opening, the rate limit and the SMS sent after commit."""

import logging
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

import pytest

from yorisou.core.models import AuditEvent
from yorisou.emergency import services
from yorisou.emergency.constants import Delivery
from yorisou.emergency.models import Invite

pytestmark = pytest.mark.usefixtures("live119_settings")


def outbox(settings: Any) -> list[Path]:
    folder = Path(settings.LIVE119["SMS_OUTBOX_DIR"])
    return sorted(folder.glob("*.txt")) if folder.exists() else []


def test_invite_send_stores_only_the_hash_and_sends_the_link(
    sent_invite: Any, settings: Any
) -> None:
    token = sent_invite.token
    assert len(token) >= 43  # 32 random bytes, base64url
    row = Invite.objects.get(pk=sent_invite.pk)
    assert row.token_hash == services.token_hash(token)
    stored = " ".join(str(v) for v in Invite.objects.values().get(pk=row.pk).values())
    assert token not in stored
    assert row.delivery == Delivery.SENT
    assert row.phone == "+819012345678"
    assert row.expires_at - row.created_at == timedelta(minutes=30)
    (message,) = outbox(settings)
    text = message.read_text()
    assert f"https://city.example.jp/live119/c/{token}/" in text
    assert "To: +819012345678" in text
    audit_text = " ".join(
        str(e.changes)
        for e in AuditEvent.objects.filter(action__startswith="emergency")
    )
    assert token not in audit_text


def test_outbox_log_never_contains_the_token(
    dispatcher: Any,
    incident: Any,
    caplog: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with (
        caplog.at_level(logging.DEBUG),
        django_capture_on_commit_callbacks(execute=True),
    ):
        invite = services.invite_send(actor=dispatcher, incident=incident)
    assert "5678" in caplog.text  # the line is there …
    assert invite.token not in caplog.text  # … without the link's token
    assert "+819012345678" not in caplog.text


def test_invite_delivery_is_idempotent(sent_invite: Any, settings: Any) -> None:
    again = services.invite_deliver(
        invite_id=sent_invite.pk, token=sent_invite.token, base_url="https://x"
    )
    assert again == Delivery.SENT
    assert len(outbox(settings)) == 1


def test_invite_delivery_refuses_a_token_of_another_invite(
    dispatcher: Any, incident: Any
) -> None:
    invite = services.invite_send(actor=dispatcher, incident=incident)  # no commit
    with pytest.raises(ValueError):
        services.invite_deliver(
            invite_id=invite.pk, token=secrets.token_urlsafe(32), base_url="https://x"
        )


def test_invite_open_counts_and_may_be_opened_again(
    sent_invite: Any, settings: Any
) -> None:
    first = services.invite_open(sent_invite.token)
    again = services.invite_open(sent_invite.token)  # a mistapped permission
    assert first.pk == again.pk == sent_invite.pk
    assert Invite.objects.get(pk=sent_invite.pk).opens == 2
    checked = services.invite_check(token=sent_invite.token)
    assert checked.opens == 2  # the WebSocket does not count
    assert AuditEvent.objects.filter(action="emergency.invite.open").count() == 2


def test_invite_used_up_after_the_limit(sent_invite: Any, settings: Any) -> None:
    settings.LIVE119 = {**settings.LIVE119, "INVITE_MAX_OPENS": 3}
    for _ in range(3):
        services.invite_open(sent_invite.token)
    with pytest.raises(services.InviteRefused) as refused:
        services.invite_open(sent_invite.token)
    assert refused.value.code == "used_up"
    assert str(refused.value) == refused.value.message
    assert AuditEvent.objects.filter(action="emergency.invite.refuse").exists()
    # a connected caller's socket still resolves it (no opening counted), but
    # the link connects no new socket once a page was refused for it
    assert services.invite_check(token=sent_invite.token).pk == sent_invite.pk
    with pytest.raises(services.InviteRefused) as refused:
        services.invite_connect(token=sent_invite.token)
    assert refused.value.code == "used_up"


def test_expired_invite_is_refused(sent_invite: Any) -> None:
    Invite.objects.filter(pk=sent_invite.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    for check in (
        lambda: services.invite_open(sent_invite.token),
        lambda: services.invite_check(token=sent_invite.token),
    ):
        with pytest.raises(services.InviteRefused) as refused:
            check()
        assert refused.value.code == "expired"


def test_revoked_invite_is_refused(dispatcher: Any, sent_invite: Any) -> None:
    services.invite_revoke(actor=dispatcher, invite=sent_invite)
    with pytest.raises(services.InviteRefused) as refused:
        services.invite_open(sent_invite.token)
    assert refused.value.code == "revoked"


def test_invite_of_a_closed_incident_is_refused(
    dispatcher: Any, incident: Any, sent_invite: Any
) -> None:
    services.incident_close(actor=dispatcher, incident=incident)
    with pytest.raises(services.InviteRefused) as refused:
        services.invite_open(sent_invite.token)
    assert refused.value.code == "closed"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "short",
        "../../etc/passwd",
        "a" * 43 + "!",
        "x" * 500,
    ],
)
def test_malformed_tokens_are_unknown(sent_invite: Any, token: str) -> None:
    with pytest.raises(services.InviteRefused) as refused:
        services.invite_open(token)
    assert refused.value.code == "unknown"


def test_forged_token_is_unknown(sent_invite: Any, caplog: Any) -> None:
    forged = secrets.token_urlsafe(32)
    with (
        caplog.at_level(logging.WARNING),
        pytest.raises(services.InviteRefused) as refused,
    ):
        services.invite_open(forged)
    assert refused.value.code == "unknown"
    assert forged not in caplog.text
    # the hash of a known token is not a token
    with pytest.raises(services.InviteRefused):
        services.invite_open(services.token_hash(sent_invite.token))


def test_invites_are_rate_limited_per_incident(
    dispatcher: Any, incident: Any, settings: Any
) -> None:
    settings.LIVE119 = {**settings.LIVE119, "INVITE_RATE_PER_HOUR": 2}
    services.invite_send(actor=dispatcher, incident=incident, phone="090-1111-2222")
    services.invite_send(actor=dispatcher, incident=incident, phone="090-3333-4444")
    with pytest.raises(ValidationError) as limited:
        services.invite_send(actor=dispatcher, incident=incident, phone="080-5555-6666")
    assert limited.value.code == "rate_limited"
    # an hour later it is allowed again
    Invite.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    services.invite_send(actor=dispatcher, incident=incident, phone="080-5555-6666")


def test_invites_are_rate_limited_per_phone(
    dispatcher: Any, settings: Any, incident: Any
) -> None:
    settings.LIVE119 = {**settings.LIVE119, "INVITE_RATE_PER_HOUR": 2}
    for _ in range(2):
        other = services.incident_open(actor=dispatcher, kind="fire")
        services.invite_send(actor=dispatcher, incident=other, phone="090-7777-8888")
    with pytest.raises(ValidationError):
        services.invite_send(actor=dispatcher, incident=incident, phone="090-7777-8888")


def test_invite_needs_a_mobile_number(dispatcher: Any, incident: Any) -> None:
    with pytest.raises(ValidationError) as landline:
        services.invite_send(actor=dispatcher, incident=incident, phone="03-1234-5678")
    assert "phone" in landline.value.error_dict
    blank = services.incident_open(actor=dispatcher, kind="fire")
    with pytest.raises(ValidationError):
        services.invite_send(actor=dispatcher, incident=blank)


def test_failed_sms_is_shown_not_retried(
    dispatcher: Any,
    incident: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.LIVE119 = {
        **settings.LIVE119,
        "SMS_GATEWAY": "http",
        "SMS_HTTP_URL": "http://127.0.0.1:9/unreachable",
    }
    with django_capture_on_commit_callbacks(execute=True):
        invite = services.invite_send(actor=dispatcher, incident=incident)
    row = Invite.objects.get(pk=invite.pk)
    assert row.delivery == Delivery.FAILED
    assert "unreachable" in row.delivery_error
    assert invite.token not in row.delivery_error
    assert incident.events.filter(kind="invite_failed").exists()
