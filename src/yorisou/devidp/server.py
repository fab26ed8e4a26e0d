"""The sample provider's OpenID Connect server, built from Authlib's parts.

Authorization code grant with the OpenID Connect extension (nonce required) and
PKCE (S256 only, required), as the Digital Agency's デジタル認証アプリ works. The
ID token is signed with an RSA key kept in ``var/`` (made on first use).
"""

import json
import os
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from authlib.integrations.django_oauth2 import (  # type: ignore[import-untyped]
    AuthorizationServer,
)
from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped]
    ClientMixin,
    InvalidRequestError,
    grants,
)
from authlib.oauth2.rfc7636 import CodeChallenge  # type: ignore[import-untyped]
from authlib.oidc.core import OpenIDCode  # type: ignore[import-untyped]
from joserfc.jwk import RSAKey

from yorisou.devidp.models import AccessToken, AuthorizationCode
from yorisou.devidp.persons import SamplePerson, person_get

SCOPES = ("openid", "name", "address", "birthdate", "gender")
CALLBACK_PATH = "/accounts/signin/mynumber/callback/"
_key_lock = threading.Lock()
_key: RSAKey | None = None


def signing_key() -> RSAKey:
    """The provider's RSA signing key (private), kept in ``var/``."""
    global _key
    with _key_lock:
        if _key is None:
            path = settings.VAR_DIR / "demo_idp_signing_key.json"
            if path.exists():
                _key = RSAKey.import_key(json.loads(path.read_text()))
            else:
                key = RSAKey.generate_key(
                    2048,
                    parameters={"use": "sig", "alg": "RS256"},
                    private=True,
                    auto_kid=True,
                )
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(json.dumps(key.as_dict(private=True)))
                tmp.chmod(0o600)
                os.replace(tmp, path)
                _key = key
        return _key


def public_jwks() -> dict[str, Any]:
    """The JWKS document: the public half of the signing key."""
    return {"keys": [signing_key().as_dict(private=False)]}


def issuer(request: HttpRequest) -> str:
    """The issuer URL: configured, else this site's ``/demo-idp``."""
    configured = str(settings.DEMO_IDP.get("ISSUER") or "")
    if configured:
        return configured.rstrip("/")
    return request.build_absolute_uri(reverse("devidp:root")).rstrip("/")


class DemoClient(ClientMixin):
    """The one relying party the sample provider knows (Yorisou itself)."""

    def __init__(
        self, client_id: str, secret: str, redirect_uris: list[str], origin: str
    ) -> None:
        self.client_id = client_id
        self.client_secret = secret
        self.redirect_uris = redirect_uris
        self.origin = origin

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0] if self.redirect_uris else ""

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        if self.redirect_uris:
            return redirect_uri in self.redirect_uris
        # None configured: Yorisou's own callback on the same site (the demo).
        parts = urlsplit(redirect_uri)
        return (
            bool(self.origin)
            and f"{parts.scheme}://{parts.netloc}" == self.origin
            and parts.path == CALLBACK_PATH
            and not parts.query
        )

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(self.client_secret, client_secret or "")

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if endpoint == "token":
            return method in ("client_secret_basic", "client_secret_post")
        return True

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


def demo_client(client_id: str, *, origin: str) -> DemoClient | None:
    """The configured client, if ``client_id`` is its id."""
    conf = settings.DEMO_IDP
    if not client_id or client_id != conf["CLIENT_ID"]:
        return None
    return DemoClient(
        conf["CLIENT_ID"], conf["CLIENT_SECRET"], list(conf["REDIRECT_URIS"]), origin
    )


class S256CodeChallenge(CodeChallenge):
    """PKCE, required, with the S256 method only (no "plain")."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge'")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(grants.AuthorizationCodeGrant):
    """Authorization codes in the database; each can be exchanged once."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        AuthorizationCode.objects.create(
            code=code,
            client_id=request.client.client_id,
            redirect_uri=request.payload.redirect_uri or "",
            scope=request.scope or "",
            nonce=data.get("nonce") or "",
            code_challenge=data.get("code_challenge") or "",
            code_challenge_method=data.get("code_challenge_method") or "",
            person_id=request.user.person_id,
            auth_time=int(time.time()),
        )

    def query_authorization_code(
        self, code: str, client: Any
    ) -> AuthorizationCode | None:
        # Claim the code atomically: of two concurrent exchanges, one wins.
        with transaction.atomic():
            item = AuthorizationCode.objects.filter(
                code=code, client_id=client.client_id, used=False
            ).first()
            if item is None or item.is_expired():
                return None
            claimed = AuthorizationCode.objects.filter(pk=item.pk, used=False).update(
                used=True
            )
        return item if claimed else None

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        authorization_code.delete()

    def authenticate_user(
        self, authorization_code: AuthorizationCode
    ) -> SamplePerson | None:
        return person_get(authorization_code.person_id)


class DemoOpenIDCode(OpenIDCode):
    """The OpenID Connect part: nonce required; the ID token carries only ``sub``
    (the 基本4情報 come from the userinfo endpoint)."""

    def __init__(self, issuer_url: str) -> None:
        super().__init__(require_nonce=True)
        self.issuer_url = issuer_url

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return AuthorizationCode.objects.filter(
            client_id=request.payload.client_id, nonce=nonce
        ).exists()

    def resolve_client_private_key(self, client: Any) -> RSAKey:
        return signing_key()

    def get_client_algorithm(self, client: Any) -> str:
        return "RS256"

    def get_encode_header(self, client: Any) -> dict[str, str]:
        return {"alg": "RS256", "kid": signing_key().kid or ""}

    def get_client_claims(self, client: Any) -> dict[str, Any]:
        return {"iss": self.issuer_url, "aud": [client.get_client_id()]}

    def generate_user_info(self, user: SamplePerson, scope: str) -> dict[str, str]:
        return {"sub": user.sub}


class DemoAuthorizationServer(AuthorizationServer):
    """Authlib's Django server with the client from settings and our token rows."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        super().__init__(None, AccessToken)
        self.load_config(
            {
                "scopes_supported": list(SCOPES),
                "token_expires_in": {"authorization_code": 600},
            }
        )

    def query_client(self, client_id: str) -> DemoClient | None:
        return demo_client(client_id, origin=self.origin)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        AccessToken.objects.create(
            access_token=token["access_token"],
            client_id=request.client.client_id,
            scope=token.get("scope", ""),
            person_id=request.user.person_id,
            issued_at=int(time.time()),
            expires_in=int(token.get("expires_in", 3600)),
        )


def server_for(request: HttpRequest) -> DemoAuthorizationServer:
    """A server for this request (the issuer and same-site rule depend on it)."""
    origin = f"{request.scheme}://{request.get_host()}"
    server = DemoAuthorizationServer(origin)
    server.register_grant(
        CodeGrant, [DemoOpenIDCode(issuer(request)), S256CodeChallenge(required=True)]
    )
    return server
