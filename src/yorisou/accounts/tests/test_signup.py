"""Citizen sign-up with email verification: links, expiry, reuse, enumeration,
throttling, double submits."""

import re

from django.core import mail
from django.urls import reverse

import pytest
import time_machine

from yorisou.accounts import services
from yorisou.accounts.models import User
from yorisou.core.models import AuditEvent

PASSWORD = "kumamoto-castle-1607"


def _sign_up(client, email="Hanako.Yamada@Example.jp", **extra):
    data = {
        "email": email,
        "display_name": "山田 花子",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "agree_terms": "on",
        **extra,
    }
    return client.post(reverse("accounts:signup"), data)


def _link(message) -> str:
    match = re.search(
        r"http://testserver(/accounts/signup/verify/[^/\s]+/)", message.body
    )
    assert match, message.body
    return match.group(1)


def _login(client, username, password=PASSWORD):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}
    )


@pytest.mark.django_db
def test_sign_up_verify_then_sign_in_by_email(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:signup_done")
    user = User.objects.get()
    assert user.username == user.email == "hanako.yamada@example.jp"
    assert not user.is_active and user.email_verified_at is None
    assert list(user.role_assignments.values_list("role", flat=True)) == ["citizen"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    link = _link(mail.outbox[0])

    # not usable before the email is confirmed
    assert _login(client, "hanako.yamada@example.jp").status_code == 200
    # the link shows a button; only the POST confirms (mail scanners GET links)
    assert client.get(link).context["outcome"] == ""
    user.refresh_from_db()
    assert not user.is_active
    response = client.post(link)
    assert response.context["outcome"] == "verified"
    user.refresh_from_db()
    assert user.is_active and user.email_verified_at is not None

    # sign in with the email address in any case
    response = _login(client, "HANAKO.Yamada@example.JP")
    assert response.status_code == 302
    assert client.session["yorisou_assurance"] == "account"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "accounts.user.sign_up",
        "accounts.user.email_verify",
        "accounts.user.sign_in",
    } <= actions
    sign_up = AuditEvent.objects.get(action="accounts.user.sign_up")
    assert sign_up.changes["password"] == ["[redacted]", "[redacted]"]
    assert PASSWORD not in str(sign_up.changes)


@pytest.mark.django_db
def test_link_reuse_is_harmless_and_audited_once(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _sign_up(client)
    link = _link(mail.outbox[0])
    assert client.post(link).context["outcome"] == "verified"
    again = client.post(link)
    assert again.status_code == 200
    assert again.context["outcome"] == "already"
    assert AuditEvent.objects.filter(action="accounts.user.email_verify").count() == 1


@pytest.mark.django_db
def test_link_expires(client, django_capture_on_commit_callbacks):
    with (
        time_machine.travel("2026-04-01 09:00 +0900", tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        _sign_up(client)
    link = _link(mail.outbox[0])
    with time_machine.travel("2026-04-03 09:01 +0900", tick=False):
        response = client.post(link)
    assert response.status_code == 400
    assert response.context["outcome"] == "expired"
    assert not User.objects.get().is_active


@pytest.mark.django_db
def test_tampered_link_is_invalid(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _sign_up(client)
    link = _link(mail.outbox[0])
    response = client.post(link.replace(":", "x:", 1))
    assert response.status_code == 400
    assert response.context["outcome"] == "invalid"


@pytest.mark.django_db
def test_registered_address_gets_the_same_answer(
    client, citizen, django_capture_on_commit_callbacks
):
    citizen.email = "hanako@example.jp"
    citizen.save()
    with django_capture_on_commit_callbacks(execute=True):
        known = _sign_up(client, email="Hanako@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        unknown = _sign_up(client, email="nobody@example.jp")
    # the same page for both: nobody learns which addresses have accounts
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    # the owner of the known address is told by email instead
    assert [m.to for m in mail.outbox] == [["hanako@example.jp"], ["nobody@example.jp"]]
    assert "/accounts/password/reset/" in mail.outbox[0].body
    assert "/signup/verify/" not in mail.outbox[0].body
    citizen.refresh_from_db()
    assert citizen.check_password("correct-horse-battery")  # untouched


@pytest.mark.django_db
def test_double_submit_creates_one_account_and_supersedes_the_link(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _sign_up(client)
        _sign_up(client, password1="another-pass-2026", password2="another-pass-2026")
    assert User.objects.count() == 1
    assert len(mail.outbox) == 2
    # the first link stopped working when the sign-up was repeated
    assert client.post(_link(mail.outbox[0])).context["outcome"] == "invalid"
    assert client.post(_link(mail.outbox[1])).context["outcome"] == "verified"
    assert User.objects.get().check_password("another-pass-2026")


@pytest.mark.django_db
def test_resend_answers_alike_and_sends_only_to_pending(
    client, citizen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _sign_up(client, email="pending@example.jp")
    mail.outbox.clear()
    url = reverse("accounts:signup_resend")
    with django_capture_on_commit_callbacks(execute=True):
        pending = client.post(url, {"email": "Pending@example.jp"})
        active = client.post(url, {"email": citizen.email})
        unknown = client.post(url, {"email": "ghost@example.jp"})
    assert pending["Location"] == active["Location"] == unknown["Location"]
    assert [m.to for m in mail.outbox] == [["pending@example.jp"]]


@pytest.mark.django_db
def test_sign_up_form_explains_mistakes(client):
    response = _sign_up(
        client, email="not-an-email", password2="different-pass-0000", agree_terms=""
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"email", "password2", "agree_terms"}
    response = _sign_up(client, password1="12345678901", password2="12345678901")
    assert "password1" in response.context["form"].errors
    assert not User.objects.exists()


@pytest.mark.django_db
def test_sign_up_is_throttled(client, django_capture_on_commit_callbacks):
    for i in range(10):
        assert _sign_up(client, email=f"u{i}@example.jp").status_code == 302
    response = _sign_up(client, email="u10@example.jp")
    assert response.status_code == 429
    assert User.objects.count() == 10


@pytest.mark.django_db
def test_resend_is_throttled_per_address(client):
    url = reverse("accounts:signup_resend")
    for _ in range(5):
        assert client.post(url, {"email": "target@example.jp"}).status_code == 302
    assert client.post(url, {"email": "target@example.jp"}).status_code == 429


@pytest.mark.django_db
def test_wrong_passwords_lock_email_sign_in(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _sign_up(client, email="lock@example.jp")
    client.post(_link(mail.outbox[0]))
    for _ in range(5):
        _login(client, "lock@example.jp", "wrong-password")
    assert _login(client, "lock@example.jp").status_code == 429


@pytest.mark.django_db
def test_sign_up_page_in_japanese_and_english(client):
    page = client.get(reverse("accounts:signup")).content.decode()
    assert 'lang="ja"' in page
    client.cookies["yorisou_language"] = "en"
    page = client.get(reverse("accounts:signup")).content.decode()
    assert "Create an account" in page


@pytest.mark.django_db
def test_service_is_idempotent_for_a_confirmed_account(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        user = services.citizen_sign_up(
            email="a@example.jp", password=PASSWORD, display_name="A", base_url="/"
        )
    assert user is not None
    token = services.email_verification_token(user)
    assert services.email_verify(token=token)[0] == "verified"
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            services.citizen_sign_up(
                email="A@example.jp", password="x" * 12, display_name="B", base_url="/"
            )
            is None
        )
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and user.display_name == "A"
