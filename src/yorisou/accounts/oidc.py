"""OpenID Connect client: authorization code flow with PKCE (S256), state and nonce.

This is what the Digital Agency's デジタル認証アプリ requires of a relying party, and
what any provider registered in :mod:`yorisou.accounts.signin` speaks. Authlib
builds the request (PKCE challenge, authorization URI) and checks the ID token's
claims (iss, aud, exp, iat, nonce, at_hash, azp); joserfc verifies its signature
against the provider's JWKS; httpx carries the back-channel calls.

Nothing here logs or raises with tokens or claims in the message: errors carry a
short reason code only.
"""

import base64
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.core.cache import cache
from django.views.decorators.debug import sensitive_variables

import httpx
from authlib.common.urls import add_params_to_uri  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import (  # type: ignore[import-untyped]
    create_s256_code_challenge,
)
from authlib.oidc.core import CodeIDToken  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import InvalidClaimError, JoseError, MissingClaimError
from joserfc.jwk import KeySet

# Asymmetric signatures only: "none" and HMAC (keyed by the client secret) are
# never accepted for an ID token here.
ALLOWED_ALGORITHMS = ("RS256", "PS256", "ES256", "RS384", "RS512", "EdDSA")
METADATA_CACHE_SECONDS = 60 * 60


class SignInError(Exception):
    """A sign-in that did not succeed; ``reason`` is a short code, never data.

    Reasons: ``not_configured``, ``discovery_failed``, ``access_denied`` (the person
    cancelled at the provider), ``provider_error``, ``state_mismatch``,
    ``token_failed`` (code expired, replayed or refused), ``id_token_invalid``,
    ``nonce_mismatch``, ``userinfo_failed``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ClientConfig:
    """How we are registered with one provider."""

    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    endpoint_auth: str = "client_secret_basic"
    timeout: float = 10.0
    leeway: int = 60


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the browser, and what to keep in the session until it returns."""

    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class VerifiedSignIn:
    """What a completed flow proves: the provider's id of the person and claims."""

    issuer: str
    subject: str
    claims: dict[str, Any]


def _http(config: ClientConfig) -> httpx.Client:
    return httpx.Client(timeout=config.timeout, follow_redirects=False)


def discover(config: ClientConfig) -> dict[str, Any]:
    """The provider's metadata from ``/.well-known/openid-configuration`` (cached).

    The ``issuer`` it states must be exactly the one configured (OpenID Connect
    Discovery 1.0, section 4.3), so a mis-typed or hijacked URL is refused.
    """
    key = f"yorisou:oidc:metadata:{config.issuer}"
    metadata: dict[str, Any] | None = cache.get(key)
    if metadata is not None:
        return metadata
    url = config.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        with _http(config) as http:
            response = http.get(url)
        response.raise_for_status()
        metadata = dict(response.json())
    except (httpx.HTTPError, ValueError) as exc:
        raise SignInError("discovery_failed") from exc
    required = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    if metadata.get("issuer") != config.issuer or not all(
        metadata.get(k) for k in required
    ):
        raise SignInError("discovery_failed")
    methods = metadata.get("code_challenge_methods_supported")
    if methods is not None and "S256" not in methods:
        raise SignInError("discovery_failed")
    cache.set(key, metadata, METADATA_CACHE_SECONDS)
    return metadata


def _key_set(
    config: ClientConfig, metadata: Mapping[str, Any], *, refresh: bool = False
) -> KeySet:
    key = f"yorisou:oidc:jwks:{config.issuer}"
    data: dict[str, Any] | None = None if refresh else cache.get(key)
    if data is None:
        try:
            with _http(config) as http:
                response = http.get(metadata["jwks_uri"])
            response.raise_for_status()
            data = dict(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            raise SignInError("id_token_invalid") from exc
        cache.set(key, data, METADATA_CACHE_SECONDS)
    return KeySet.import_key_set(data)  # type: ignore[arg-type]


def authorization_request(
    config: ClientConfig, *, redirect_uri: str, extra: Mapping[str, str] | None = None
) -> AuthorizationRequest:
    """A fresh state, nonce and PKCE verifier, and the provider URL carrying them."""
    metadata = discover(config)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters: within RFC 7636's 43-128
    params = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": redirect_uri,
        "scope": config.scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
        **(extra or {}),
    }
    url = add_params_to_uri(metadata["authorization_endpoint"], list(params.items()))
    return AuthorizationRequest(
        url=url, state=state, nonce=nonce, code_verifier=verifier
    )


def _client_auth(
    config: ClientConfig, data: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Form data and headers that authenticate us at the token endpoint."""
    headers = {"Accept": "application/json"}
    if config.endpoint_auth == "client_secret_post":
        data = {
            **data,
            "client_id": config.client_id,
            "client_secret": config.client_secret,
        }
    elif config.endpoint_auth == "none":
        data = {**data, "client_id": config.client_id}
    else:  # client_secret_basic (RFC 6749 section 2.3.1: form-encode, then Basic)
        pair = (
            f"{quote(config.client_id, safe='')}:{quote(config.client_secret, safe='')}"
        )
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    return data, headers


@sensitive_variables()
def complete(
    config: ClientConfig,
    *,
    params: Mapping[str, str],
    state: str,
    nonce: str,
    code_verifier: str,
    redirect_uri: str,
) -> VerifiedSignIn:
    """Check the provider's answer and exchange the code; return who signed in.

    ``params`` is the callback's query string; ``state``, ``nonce`` and
    ``code_verifier`` are what :func:`authorization_request` made for this browser.
    """
    if not state or not secrets.compare_digest(params.get("state", ""), state):
        raise SignInError("state_mismatch")
    error = params.get("error", "")
    if error:
        raise SignInError(
            "access_denied" if error == "access_denied" else "provider_error"
        )
    code = params.get("code", "")
    if not code:
        raise SignInError("provider_error")
    metadata = discover(config)

    data, headers = _client_auth(
        config,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        },
    )
    try:
        with _http(config) as http:
            response = http.post(metadata["token_endpoint"], data=data, headers=headers)
        token = dict(response.json())
    except (httpx.HTTPError, ValueError) as exc:
        raise SignInError("token_failed") from exc
    access_token = token.get("access_token")
    id_token = token.get("id_token")
    if response.status_code != 200 or not access_token or not id_token:
        raise SignInError("token_failed")
    if str(token.get("token_type", "")).lower() != "bearer":
        raise SignInError("token_failed")

    claims = _validated_id_token(
        config, metadata, id_token, nonce=nonce, access_token=access_token
    )
    subject = str(claims["sub"])
    userinfo = _userinfo(config, metadata, access_token, subject)
    return VerifiedSignIn(
        issuer=config.issuer, subject=subject, claims={**userinfo, "sub": subject}
    )


@sensitive_variables()
def _validated_id_token(
    config: ClientConfig,
    metadata: Mapping[str, Any],
    id_token: str,
    *,
    nonce: str,
    access_token: str,
) -> CodeIDToken:
    offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [alg for alg in offered if alg in ALLOWED_ALGORITHMS]
    try:
        try:
            decoded = jwt.decode(
                id_token, _key_set(config, metadata), algorithms=algorithms
            )
        except JoseError:
            # The provider may have rotated its keys: fetch the JWKS once more.
            decoded = jwt.decode(
                id_token,
                _key_set(config, metadata, refresh=True),
                algorithms=algorithms,
            )
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": config.issuer},
                "aud": {"essential": True, "value": config.client_id},
                "sub": {"essential": True},
                "exp": {"essential": True},
            },
            {
                "nonce": nonce,
                "client_id": config.client_id,
                "access_token": access_token,
            },
        )
        claims.validate(leeway=config.leeway)
    except (InvalidClaimError, MissingClaimError) as exc:
        if exc.claim == "nonce":
            raise SignInError("nonce_mismatch") from None
        raise SignInError("id_token_invalid") from None
    except (JoseError, ValueError):
        raise SignInError("id_token_invalid") from None
    return claims


@sensitive_variables()
def _userinfo(
    config: ClientConfig, metadata: Mapping[str, Any], access_token: str, subject: str
) -> dict[str, Any]:
    endpoint = metadata.get("userinfo_endpoint")
    if not endpoint:
        return {}
    try:
        with _http(config) as http:
            response = http.get(
                endpoint,
                headers={
                    "Authorization": f"Bearer {access_token}",
                    "Accept": "application/json",
                },
            )
        response.raise_for_status()
        info = dict(response.json())
    except (httpx.HTTPError, ValueError) as exc:
        raise SignInError("userinfo_failed") from exc
    # OpenID Connect Core 5.3.2: the UserInfo sub must match the ID token's.
    if str(info.get("sub", "")) != subject:
        raise SignInError("userinfo_failed")
    return info
