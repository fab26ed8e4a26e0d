"""My Number card sign-in end to end, against a real OpenID Connect provider.

The sample provider (``yorisou.devidp``, built on Authlib's server) runs in a
separate ``yorisou serve`` process on a loopback port with its own SQLite
database. The Django test client plays the browser on Yorisou's side; an httpx
client completes the provider's "hold your card" page.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.urls import reverse

import httpx
import pytest

from yorisou.accounts import selectors
from yorisou.accounts.constants import (
    SESSION_ASSURANCE,
    SESSION_IDENTITY,
    SESSION_SIGNIN_PENDING,
)
from yorisou.accounts.models import User, VerifiedIdentity
from yorisou.core.models import AuditEvent

HANAKO = "sample-7f3a91c2"
TARO = "sample-2b8d40e6"
CLIENT_ID = "yorisou-test-client"
CLIENT_SECRET = "s3cret with spaces & symbols"
CALLBACK = "/accounts/signin/mynumber/callback/"
SERVE = [sys.executable, "-m", "yorisou", "serve", "--host", "127.0.0.1"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def provider(tmp_path_factory: Any) -> Iterator[str]:
    """A ``yorisou serve`` process with the sample provider at /demo-idp/."""
    var = tmp_path_factory.mktemp("idp")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        and not k.startswith(("MYNUMBER_OIDC_", "YORISOU_DEMO_IDP"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "yorisou.conf.dev",
            "SECRET_KEY": "idp-test-secret-key-0123456789-0123456789-0123456789",
            "FIELD_ENCRYPTION_KEYS": "zQ6yO3oXb8cJ1WwQ0m1l3cUe2dH3m4dYkqW1xQm9ZkQ=",
            "YORISOU_VAR_DIR": str(var),
            "SITE_URL": base,
            "YORISOU_DEMO_IDP": "1",
            "YORISOU_DEMO_IDP_CLIENT_ID": CLIENT_ID,
            "YORISOU_DEMO_IDP_CLIENT_SECRET": CLIENT_SECRET,
            # the test client's callback, and the process's own (one-process demo)
            "YORISOU_DEMO_IDP_REDIRECT_URIS": f"http://testserver{CALLBACK},"
            f"{base}{CALLBACK}",
            "EMAIL_URL": "locmem://",
        }
    )
    subprocess.run(
        [sys.executable, "-m", "yorisou", "migrate", "--noinput"],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    log = (var / "server.log").open("w")
    proc = subprocess.Popen(
        [*SERVE, "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError((var / "server.log").read_text()[-3000:])
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def mynumber(settings: Any, provider: str) -> str:
    """Point Yorisou's My Number sign-in at the provider process."""
    settings.MYNUMBER_OIDC = {
        "ISSUER": f"{provider}/demo-idp",
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "SCOPES": "openid name address birthdate gender",
        "REDIRECT_URI": "",
        "TOKEN_AUTH_METHOD": "client_secret_basic",
        "TIMEOUT": 10,
        "LEEWAY": 60,
    }
    return provider


def _start(client: Any, next_url: str = "/applications/") -> tuple[str, dict]:
    response = client.get(
        reverse("accounts:signin_start", args=["mynumber"]), {"next": next_url}
    )
    assert response.status_code == 302, response.content[:500]
    url = response["Location"]
    query = parse_qs(urlsplit(url).query)
    return url, query


def _hold_card(
    url: str, person: str = HANAKO, pin: str = "1234", cancel: bool = False
) -> httpx.Response:
    """Complete the provider's page as the person would; returns its answer."""
    with httpx.Client(timeout=10) as browser:
        page = browser.get(url)
        assert page.status_code == 200, page.text[:500]
        assert "見本" in page.text
        data = {"csrfmiddlewaretoken": browser.cookies["csrftoken"]}
        if cancel:
            data["cancel"] = "1"
        else:
            data.update(person=person, pin=pin, consent="on")
        return browser.post(url, data=data)


def _callback_path(answer: httpx.Response) -> str:
    assert answer.status_code == 302, answer.text[:500]
    location = urlsplit(answer.headers["location"])
    assert location.netloc == "testserver"
    assert location.path == CALLBACK
    return f"{location.path}?{location.query}"


@pytest.mark.django_db
def test_sign_in_with_my_number_card_end_to_end(client, mynumber):
    url, query = _start(client)
    # authorization code flow with PKCE S256, state and nonce, the 基本4情報 scopes
    assert url.startswith(f"{mynumber}/demo-idp/authorize?")
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["scope"] == ["openid name address birthdate gender"]
    assert query["redirect_uri"] == [f"http://testserver{CALLBACK}"]
    # nothing secret travels in the URL
    pending = client.session[SESSION_SIGNIN_PENDING][query["state"][0]]
    assert pending["verifier"] not in url

    response = client.get(_callback_path(_hold_card(url)))

    assert response.status_code == 302
    assert response["Location"] == "/applications/"
    identity = VerifiedIdentity.objects.get()
    assert identity.issuer == f"{mynumber}/demo-idp"
    assert identity.subject == HANAKO
    assert identity.name == "見本 花子"
    assert identity.address.startswith("東京都千代田区")
    assert identity.birthdate.isoformat() == "1985-04-01"
    assert identity.gender == "female"
    user = identity.user
    assert list(user.role_assignments.values_list("role", flat=True)) == ["citizen"]
    assert not user.has_usable_password()
    session = client.session
    assert session["_auth_user_id"] == str(user.pk)
    assert session[SESSION_ASSURANCE] == "mynumber"
    assert session[SESSION_IDENTITY] == identity.pk
    assert query["state"][0] not in session[SESSION_SIGNIN_PENDING]
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == [
        "accounts.user.create",
        "accounts.verified_identity.create",
        "accounts.user.sign_in",
    ]
    sign_in = AuditEvent.objects.get(action="accounts.user.sign_in")
    assert sign_in.changes == {"assurance": [None, "mynumber"]}
    # personal data never reaches the audit trail
    trail = str(list(AuditEvent.objects.values_list("changes", "target_repr")))
    assert "見本" not in trail and "1985" not in trail and "千代田" not in trail

    # the selectors the eforms app calls
    request = _request_for(client, user)
    assert selectors.session_assurance(request) == "mynumber"
    assert selectors.verified_claims(actor=user, request=request) == {
        "name": "見本 花子",
        "address": identity.address,
        "birthdate": "1985-04-01",
        "gender": "female",
    }
    home = client.get("/").content.decode()
    assert "見本 花子" in home and 'data-assurance="mynumber"' in home


def _request_for(client: Any, user: Any) -> Any:
    from django.http import HttpRequest

    request = HttpRequest()
    request.session = client.session
    request.user = user
    return request


@pytest.mark.django_db
def test_second_sign_in_reuses_the_account(client, mynumber):
    client.get(_callback_path(_hold_card(_start(client)[0])))
    client.post(reverse("accounts:logout"))
    other = type(client)()
    response = other.get(_callback_path(_hold_card(_start(other)[0])))
    assert response.status_code == 302
    assert User.objects.count() == 1
    assert VerifiedIdentity.objects.count() == 1
    assert other.session["_auth_user_id"] == str(User.objects.get().pk)
    # unchanged claims: no update event, two sign-ins
    assert not AuditEvent.objects.filter(action="accounts.verified_identity.update")
    assert AuditEvent.objects.filter(action="accounts.user.sign_in").count() == 2


@pytest.mark.django_db
def test_replayed_callback_is_refused(client, mynumber):
    callback = _callback_path(_hold_card(_start(client)[0]))
    assert client.get(callback).status_code == 302
    replay = client.get(callback)
    assert replay.status_code == 400
    assert replay.context["reason"] == "state_mismatch"
    assert VerifiedIdentity.objects.count() == 1


@pytest.mark.django_db
def test_provider_refuses_a_code_used_twice(client, mynumber):
    url, query = _start(client)
    pending = client.session[SESSION_SIGNIN_PENDING][query["state"][0]]
    code = parse_qs(urlsplit(_hold_card(url).headers["location"]).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": f"http://testserver{CALLBACK}",
        "code_verifier": pending["verifier"],
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    token_url = f"{mynumber}/demo-idp/token"
    first = httpx.post(token_url, data=form)
    assert first.status_code == 200 and first.json()["id_token"]
    second = httpx.post(token_url, data=form)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    # and a wrong PKCE verifier is refused too
    url, query = _start(client)
    code = parse_qs(urlsplit(_hold_card(url).headers["location"]).query)["code"][0]
    wrong = httpx.post(
        token_url, data={**form, "code": code, "code_verifier": "x" * 43}
    )
    assert wrong.status_code == 400


@pytest.mark.django_db
def test_tampered_state_is_refused_and_audited(client, mynumber):
    callback = _callback_path(_hold_card(_start(client)[0]))
    tampered = callback.replace("state=", "state=x")
    response = client.get(tampered)
    assert response.status_code == 400
    assert response.context["reason"] == "state_mismatch"
    assert "_auth_user_id" not in client.session
    assert not User.objects.exists() and not VerifiedIdentity.objects.exists()
    event = AuditEvent.objects.get(action="accounts.user.sign_in_fail")
    assert event.changes["reason"] == [None, "state_mismatch"]


@pytest.mark.django_db
def test_nonce_mismatch_is_refused(client, mynumber):
    url, query = _start(client)
    session = client.session
    session[SESSION_SIGNIN_PENDING][query["state"][0]]["nonce"] = "not-the-nonce"
    session.save()
    response = client.get(_callback_path(_hold_card(url)))
    assert response.status_code == 400
    assert response.context["reason"] == "nonce_mismatch"
    assert not User.objects.exists()


@pytest.mark.django_db
def test_cancel_at_the_provider(client, mynumber):
    answer = _hold_card(_start(client)[0], cancel=True)
    callback = _callback_path(answer)
    assert "error=access_denied" in callback
    response = client.get(callback)
    assert response.status_code == 200
    assert response.context["reason"] == "access_denied"
    assert "_auth_user_id" not in client.session
    assert not User.objects.exists()
    assert AuditEvent.objects.get(action="accounts.user.sign_in_fail").changes[
        "reason"
    ] == [None, "access_denied"]


@pytest.mark.django_db
def test_unknown_or_expired_code_is_refused(client, mynumber):
    _url, query = _start(client)
    state = query["state"][0]
    response = client.get(f"{CALLBACK}?code=expired-or-unknown&state={state}")
    assert response.status_code == 400
    assert response.context["reason"] == "token_failed"
    assert not User.objects.exists()


@pytest.mark.django_db
def test_wrong_pin_stays_at_the_provider(client, mynumber):
    answer = _hold_card(_start(client)[0], pin="9999")
    assert answer.status_code == 400
    assert "1234" in answer.text  # the sample PIN is shown in the error


@pytest.mark.django_db
def test_signed_in_citizen_links_the_card(client, mynumber, citizen):
    client.force_login(citizen)
    response = client.get(_callback_path(_hold_card(_start(client)[0], person=TARO)))
    assert response.status_code == 302
    identity = VerifiedIdentity.objects.get()
    assert identity.user == citizen
    assert AuditEvent.objects.filter(action="accounts.verified_identity.link").exists()
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_staff_cannot_use_the_card(client, mynumber, staff_user):
    client.force_login(staff_user)
    response = client.get(_callback_path(_hold_card(_start(client)[0])))
    assert response.status_code == 400
    assert response.context["reason"] == "staff_account"
    assert not VerifiedIdentity.objects.exists()


@pytest.mark.django_db
def test_login_page_asks_for_the_card_when_a_procedure_needs_it(
    client, mynumber, citizen
):
    page = client.get("/accounts/login/?next=/applications/x/&assurance=mynumber")
    html = page.content.decode()
    start = reverse("accounts:signin_start", args=["mynumber"])
    assert f'href="{start}?next=%2Fapplications%2Fx%2F"' in html
    assert html.index('data-provider="mynumber"') < html.index('name="password"')
    # signed in with a password only: the page still shows, no redirect loop
    client.force_login(citizen)
    assert client.get("/accounts/login/?assurance=mynumber").status_code == 200
    assert client.get("/accounts/login/").status_code == 302


@pytest.mark.django_db
def test_demo_in_one_process_signs_in_against_itself(provider):
    """`make demo`: the client and the sample provider share one server process."""
    with httpx.Client(base_url=provider, timeout=20) as browser:
        start = browser.get("/accounts/signin/mynumber/start/?next=/")
        assert start.status_code == 302, start.text[:500]
        # the provider's own discovery was fetched by the same process
        authorize = start.headers["location"]
        assert authorize.startswith(f"{provider}/demo-idp/authorize?")
        page = browser.get(authorize)
        answer = browser.post(
            authorize,
            data={
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                "person": TARO,
                "pin": "1234",
                "consent": "on",
            },
        )
        assert page.status_code == 200 and answer.status_code == 302
        done = browser.get(answer.headers["location"])
        assert done.status_code == 302 and done.headers["location"] == "/"
        assert "見本 太郎" in browser.get("/").text
