"""Sign-in providers: ways to sign in other than a password, as plugins.

``signin_providers`` holds one small class per provider. The login page lists the
enabled ones; ``/accounts/signin/<id>/start/`` and ``…/callback/`` drive them. The
My Number card provider (``"mynumber"``) speaks OpenID Connect to the provider set
in ``settings.MYNUMBER_OIDC`` (the Digital Agency's デジタル認証アプリ in production,
the sample provider of :mod:`yorisou.devidp` in the demo).
"""

import time
from typing import Any, ClassVar

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yorisou.accounts import oidc, services
from yorisou.accounts.constants import ASSURANCE_MYNUMBER, SESSION_SIGNIN_PENDING
from yorisou.accounts.models import VerifiedIdentity
from yorisou.core.registry import Registry

# Sign-ins started but not finished, kept per browser session (several tabs).
MAX_PENDING = 4
PENDING_SECONDS = 15 * 60


class SignInProvider:
    """A way to sign in through someone who proves who the person is."""

    label: ClassVar[str | Promise] = ""
    button_label: ClassVar[str | Promise] = ""
    description: ClassVar[str | Promise] = ""
    #: the assurance level a sign-in through this provider gives the session
    assurance: ClassVar[str] = ""

    def is_enabled(self) -> bool:
        """Whether it is configured (the login page only lists enabled ones)."""
        raise NotImplementedError

    def client_config(self, request: HttpRequest) -> oidc.ClientConfig:
        """How we are registered with the provider (absolute issuer URL)."""
        raise NotImplementedError

    def redirect_uri(self, request: HttpRequest, provider_id: str) -> str:
        """The callback URL the provider sends the browser back to."""
        path = reverse("accounts:signin_callback", args=[provider_id])
        return request.build_absolute_uri(path)


signin_providers: Registry[type[SignInProvider]] = Registry("sign-in provider")


@signin_providers.register("mynumber")
class MyNumberCardProvider(SignInProvider):
    """マイナンバーカードでログイン: OpenID Connect with the 基本4情報 as claims."""

    label = _("My Number card")
    button_label = _("Sign in with your My Number card")
    description = _(
        "Use the Digital Authentication App (デジタル認証アプリ) on your smartphone "
        "and your My Number card. Your name, address, date of birth and gender "
        "are confirmed from the card."
    )
    assurance = ASSURANCE_MYNUMBER

    @staticmethod
    def _settings() -> dict[str, Any]:
        return dict(getattr(settings, "MYNUMBER_OIDC", {}) or {})

    def is_enabled(self) -> bool:
        conf = self._settings()
        return bool(conf.get("ISSUER") and conf.get("CLIENT_ID"))

    def client_config(self, request: HttpRequest) -> oidc.ClientConfig:
        conf = self._settings()
        issuer = str(conf.get("ISSUER", ""))
        if not self.is_enabled():
            raise oidc.SignInError("not_configured")
        if issuer.startswith("/"):
            # A provider mounted on this site (the demo's sample provider).
            issuer = request.build_absolute_uri(issuer)
        return oidc.ClientConfig(
            issuer=issuer,
            client_id=str(conf["CLIENT_ID"]),
            client_secret=str(conf.get("CLIENT_SECRET", "")),
            scopes=str(conf.get("SCOPES") or "openid"),
            endpoint_auth=str(conf.get("TOKEN_AUTH_METHOD") or "client_secret_basic"),
            timeout=float(conf.get("TIMEOUT") or 10),
            leeway=int(conf.get("LEEWAY") or 60),
        )

    def redirect_uri(self, request: HttpRequest, provider_id: str) -> str:
        configured = str(self._settings().get("REDIRECT_URI") or "")
        return configured or super().redirect_uri(request, provider_id)


def provider_get(provider_id: str) -> SignInProvider | None:
    """The enabled provider registered under ``provider_id``, else ``None``."""
    if provider_id not in signin_providers:
        return None
    provider = signin_providers.get(provider_id)()
    return provider if provider.is_enabled() else None


def enabled_providers() -> list[tuple[str, SignInProvider]]:
    """``(id, provider)`` of every enabled provider, in registration order."""
    found = []
    for provider_id, cls in signin_providers:
        provider = cls()
        if provider.is_enabled():
            found.append((provider_id, provider))
    return found


def safe_next(request: HttpRequest, url: str | None) -> str:
    """``url`` if it stays on this site, else ``""`` (no open redirects)."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def begin(request: HttpRequest, provider_id: str, *, next_url: str = "") -> str:
    """Start a sign-in: remember state, nonce and PKCE verifier in the session and
    return the provider URL to send the browser to."""
    provider = provider_get(provider_id)
    if provider is None:
        raise oidc.SignInError("not_configured")
    config = provider.client_config(request)
    redirect_uri = provider.redirect_uri(request, provider_id)
    language = (get_language() or "ja").split("-")[0]
    auth = oidc.authorization_request(
        config, redirect_uri=redirect_uri, extra={"ui_locales": language}
    )
    now = int(time.time())
    pending: dict[str, dict[str, Any]] = {
        state: entry
        for state, entry in request.session.get(SESSION_SIGNIN_PENDING, {}).items()
        if now - int(entry.get("at", 0)) < PENDING_SECONDS
    }
    pending[auth.state] = {
        "provider": provider_id,
        "issuer": config.issuer,
        "nonce": auth.nonce,
        "verifier": auth.code_verifier,
        "redirect_uri": redirect_uri,
        "next": safe_next(request, next_url),
        "at": now,
    }
    request.session[SESSION_SIGNIN_PENDING] = dict(list(pending.items())[-MAX_PENDING:])
    return auth.url


def finish(request: HttpRequest, provider_id: str) -> tuple[VerifiedIdentity, str]:
    """Complete a sign-in from the provider's callback: ``(identity, next URL)``.

    The pending entry is removed first, whatever happens next, so a callback
    cannot be replayed. Raises ``SignInError`` with a reason code.
    """
    pending = dict(request.session.get(SESSION_SIGNIN_PENDING, {}))
    state = request.GET.get("state", "")
    entry = pending.pop(state, None) if state else None
    request.session[SESSION_SIGNIN_PENDING] = pending
    if (
        entry is None
        or entry.get("provider") != provider_id
        or time.time() - int(entry.get("at", 0)) > PENDING_SECONDS
    ):
        raise oidc.SignInError("state_mismatch")
    provider = provider_get(provider_id)
    if provider is None:
        raise oidc.SignInError("not_configured")
    config = provider.client_config(request)
    if config.issuer != entry["issuer"]:
        # The provider was switched while the person was away.
        raise oidc.SignInError("state_mismatch")
    verified = oidc.complete(
        config,
        params=request.GET.dict(),
        state=state,
        nonce=str(entry["nonce"]),
        code_verifier=str(entry["verifier"]),
        redirect_uri=str(entry["redirect_uri"]),
    )
    identity = services.verified_identity_sign_in(
        actor=request.user,
        provider_id=provider_id,
        issuer=verified.issuer,
        subject=verified.subject,
        claims=verified.claims,
    )
    return identity, str(entry.get("next") or "")
