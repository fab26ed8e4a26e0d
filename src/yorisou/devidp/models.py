"""What the sample provider remembers between the browser's visit and the client's
back-channel calls: authorization codes (single use, short-lived) and access
tokens."""

import time
from typing import Any

from django.conf import settings
from django.db import models

from authlib.oauth2.rfc6749 import TokenMixin  # type: ignore[import-untyped]
from authlib.oidc.core import AuthorizationCodeMixin  # type: ignore[import-untyped]

from yorisou.devidp.persons import SamplePerson, person_get


class AuthorizationCode(models.Model, AuthorizationCodeMixin):
    """An authorization code with what it was issued for (PKCE challenge, nonce)."""

    code = models.CharField(max_length=120, unique=True)
    client_id = models.CharField(max_length=100)
    redirect_uri = models.TextField()
    scope = models.TextField(blank=True)
    nonce = models.CharField(max_length=255, blank=True, db_index=True)
    code_challenge = models.CharField(max_length=128)
    code_challenge_method = models.CharField(max_length=10)
    person_id = models.CharField(max_length=40)
    auth_time = models.IntegerField()
    used = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"code for {self.client_id}"

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str | None:
        return None

    def get_amr(self) -> list[str]:
        # The card's PIN (knowledge) and the card itself (hardware key).
        return ["pin", "hwk"]

    def is_expired(self) -> bool:
        lifetime = int(settings.DEMO_IDP.get("CODE_SECONDS", 600))
        return time.time() > self.auth_time + lifetime


class AccessToken(models.Model, TokenMixin):
    """A bearer token for the userinfo endpoint."""

    access_token = models.CharField(max_length=255, unique=True)
    client_id = models.CharField(max_length=100)
    scope = models.TextField(blank=True)
    person_id = models.CharField(max_length=40)
    issued_at = models.IntegerField()
    expires_in = models.IntegerField()
    revoked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"token for {self.client_id}"

    def check_client(self, client: Any) -> bool:
        return bool(self.client_id == client.client_id)

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return time.time() > self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> SamplePerson | None:
        return person_get(self.person_id)

    def get_client(self) -> Any:
        from yorisou.devidp.server import demo_client

        return demo_client(self.client_id, origin="")
