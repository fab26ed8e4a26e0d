"""The sample provider's rules, in process: what デジタル認証アプリ requires of a
client (PKCE S256, state, nonce) is refused when missing."""

import base64
from urllib.parse import parse_qs, urlencode, urlsplit

from django.test import Client

import pytest
import time_machine
from authlib.oauth2.rfc7636 import (  # type: ignore[import-untyped]
    create_s256_code_challenge,
)
from joserfc import jwt
from joserfc.jwk import KeySet

# Authlib serves OAuth only over https or on loopback: the test client says
# "localhost", and the client's callback is on the same site (the demo's rule).
CALLBACK = "http://localhost/accounts/signin/mynumber/callback/"
VERIFIER = "v" * 50


@pytest.fixture
def client():
    return Client(HTTP_HOST="localhost")


def _params(**changes):
    params = {
        "response_type": "code",
        "client_id": "yorisou-demo",
        "redirect_uri": CALLBACK,
        "scope": "openid name address birthdate gender",
        "state": "state-1234567890",
        "nonce": "nonce-1234567890",
        "code_challenge": create_s256_code_challenge(VERIFIER),
        "code_challenge_method": "S256",
    }
    params.update(changes)
    return {k: v for k, v in params.items() if v is not None}


def _authorize_url(**changes):
    return "/demo-idp/authorize?" + urlencode(_params(**changes))


def _consent(client, url, person="sample-7f3a91c2"):
    response = client.post(url, {"person": person, "pin": "1234", "consent": "on"})
    assert response.status_code == 302, response.content[:300]
    return parse_qs(urlsplit(response["Location"]).query)


def _token(client, code, verifier=VERIFIER):
    basic = base64.b64encode(b"yorisou-demo:yorisou-demo-secret").decode()
    return client.post(
        "/demo-idp/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )


@pytest.mark.django_db
def test_discovery_and_jwks(client):
    meta = client.get("/demo-idp/.well-known/openid-configuration").json()
    assert meta["issuer"] == "http://localhost/demo-idp"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["response_types_supported"] == ["code"]
    keys = client.get("/demo-idp/jwks").json()["keys"]
    assert keys[0]["kty"] == "RSA" and "d" not in keys[0]


@pytest.mark.django_db
def test_code_flow_issues_a_signed_id_token_and_userinfo(client):
    answer = _consent(client, _authorize_url())
    assert answer["state"] == ["state-1234567890"]
    token = _token(client, answer["code"][0]).json()
    keys = KeySet.import_key_set(client.get("/demo-idp/jwks").json())
    id_token = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
    assert id_token.claims["iss"] == "http://localhost/demo-idp"
    assert id_token.claims["aud"] == ["yorisou-demo"]
    assert id_token.claims["nonce"] == "nonce-1234567890"
    assert id_token.claims["sub"] == "sample-7f3a91c2"
    assert "name" not in id_token.claims  # the 基本4情報 come from userinfo only
    info = client.get(
        "/demo-idp/userinfo", HTTP_AUTHORIZATION=f"Bearer {token['access_token']}"
    ).json()
    assert info == {
        "sub": "sample-7f3a91c2",
        "name": "見本 花子",
        "address": "東京都千代田区霞が関一丁目1番1号（見本）",
        "birthdate": "1985-04-01",
        "gender": "female",
    }
    assert client.get("/demo-idp/userinfo").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes",
    [
        {"code_challenge": None, "code_challenge_method": None},  # no PKCE
        {"code_challenge_method": "plain"},  # only S256
        {"code_challenge_method": None},  # defaults to plain
        {"nonce": None},
    ],
)
def test_requests_without_s256_or_nonce_are_refused(client, changes):
    assert client.get(_authorize_url()).status_code == 200
    response = client.get(_authorize_url(**changes))
    assert response.status_code == 400
    assert 'data-error="invalid_request"' in response.content.decode()


@pytest.mark.django_db
def test_missing_state_unknown_client_or_foreign_redirect_stay_here(client):
    for url, error in (
        (_authorize_url(state=None), "invalid_request"),
        (_authorize_url(client_id="someone-else"), "invalid_client"),
        (_authorize_url(redirect_uri="https://evil.example/cb"), "invalid_request"),
        (_authorize_url(redirect_uri=CALLBACK + "?x=1"), "invalid_request"),
    ):
        response = client.get(url)
        assert response.status_code == 400
        assert f'data-error="{error}"' in response.content.decode(), url
        assert "Location" not in response


@pytest.mark.django_db
def test_cancel_redirects_with_access_denied(client):
    response = client.post(_authorize_url(), {"cancel": "1"})
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["state-1234567890"]


@pytest.mark.django_db
def test_expired_code_and_wrong_verifier_are_refused(client):
    with time_machine.travel("2026-05-01 10:00 +0900", tick=False):
        code = _consent(client, _authorize_url())["code"][0]
    with time_machine.travel("2026-05-01 10:11 +0900", tick=False):
        assert _token(client, code).json()["error"] == "invalid_grant"
    code = _consent(client, _authorize_url(nonce="nonce-second-0001"))["code"][0]
    assert _token(client, code, verifier="w" * 50).status_code == 400


@pytest.mark.django_db
def test_sample_provider_page_is_marked_as_sample(client):
    page = client.get(_authorize_url()).content.decode()
    assert "見本" in page
    assert client.get("/demo-idp/").status_code == 200


def test_production_refuses_the_sample_provider(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "YORISOU_DEMO_IDP": "1",
        "SECRET_KEY": "x" * 50,
        "FIELD_ENCRYPTION_KEYS": "zQ6yO3oXb8cJ1WwQ0m1l3cUe2dH3m4dYkqW1xQm9ZkQ=",
        "YORISOU_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import yorisou.conf.production"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "YORISOU_DEMO_IDP" in result.stderr
    env["YORISOU_DEMO_IDP"] = "0"
    result = subprocess.run(
        [sys.executable, "-c", "import yorisou.conf.production"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
