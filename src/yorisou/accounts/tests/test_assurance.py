"""Assurance levels and the selectors the eforms app calls."""

from datetime import date

from django.http import HttpRequest
from django.utils import timezone

import pytest

from yorisou.accounts import selectors, signin
from yorisou.accounts.constants import (
    ASSURANCE_LEVELS,
    SESSION_ASSURANCE,
    SESSION_IDENTITY,
    assurance_satisfies,
)
from yorisou.accounts.models import VerifiedIdentity
from yorisou.core.registry import Registry


def test_assurance_levels_are_ordered():
    assert ASSURANCE_LEVELS == ("none", "account", "mynumber")
    assert assurance_satisfies("mynumber", "account")
    assert assurance_satisfies("account", "account")
    assert assurance_satisfies("none", "none")
    assert not assurance_satisfies("account", "mynumber")
    assert not assurance_satisfies("none", "account")
    assert not assurance_satisfies("bogus", "account")
    assert not assurance_satisfies("mynumber", "bogus")


def test_the_my_number_provider_is_registered():
    assert isinstance(signin.signin_providers, Registry)
    assert "mynumber" in signin.signin_providers


def test_provider_is_off_unless_configured(settings):
    settings.MYNUMBER_OIDC = {"ISSUER": "", "CLIENT_ID": ""}
    assert signin.enabled_providers() == []
    settings.MYNUMBER_OIDC = {"ISSUER": "https://idp.example", "CLIENT_ID": "c"}
    assert [pid for pid, _ in signin.enabled_providers()] == ["mynumber"]


def _request(client, user):
    request = HttpRequest()
    request.session = client.session
    request.user = user
    return request


@pytest.mark.django_db
def test_session_assurance_and_verified_claims(client, citizen, make_user):
    from django.contrib.auth.models import AnonymousUser

    anonymous = _request(client, AnonymousUser())
    assert selectors.session_assurance(anonymous) == "none"
    assert selectors.verified_claims(actor=AnonymousUser(), request=anonymous) == {}

    client.force_login(citizen)
    request = _request(client, citizen)
    assert selectors.session_assurance(request) == "account"
    assert selectors.verified_claims(actor=citizen, request=request) == {}

    identity = VerifiedIdentity.objects.create(
        user=citizen,
        provider="mynumber",
        issuer="https://idp.example",
        subject="s1",
        name="見本 花子",
        address="東京都",
        birthdate=date(1985, 4, 1),
        gender="female",
        verified_at=timezone.now(),
        last_used_at=timezone.now(),
    )
    session = client.session
    session[SESSION_ASSURANCE] = "mynumber"
    session[SESSION_IDENTITY] = identity.pk
    session.save()
    request = _request(client, citizen)
    assert selectors.session_assurance(request) == "mynumber"
    assert selectors.verified_claims(actor=citizen, request=request) == {
        "name": "見本 花子",
        "address": "東京都",
        "birthdate": "1985-04-01",
        "gender": "female",
    }
    # another actor never reads them
    other = make_user("citizen", username="other")
    assert selectors.verified_claims(actor=other, request=request) == {}
    # an identity that is not the user's does not count
    identity.user = other
    identity.save()
    request = _request(client, citizen)
    assert selectors.session_assurance(request) == "account"
    assert selectors.verified_claims(actor=citizen, request=request) == {}


@pytest.mark.django_db
def test_start_is_404_when_not_configured(client, settings):
    settings.MYNUMBER_OIDC = {"ISSUER": "", "CLIENT_ID": ""}
    assert client.get("/accounts/signin/mynumber/start/").status_code == 404
    assert client.get("/accounts/signin/nope/start/").status_code == 404


@pytest.mark.django_db
def test_unreachable_provider_ends_on_a_friendly_page(client, settings):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.MYNUMBER_OIDC = {
        "ISSUER": f"http://127.0.0.1:{port}/nothing",
        "CLIENT_ID": "c",
        "TIMEOUT": 2,
    }
    response = client.get("/accounts/signin/mynumber/start/")
    assert response.status_code == 400
    assert response.context["reason"] == "discovery_failed"


@pytest.mark.django_db
def test_next_must_stay_on_the_site(client, settings):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    assert signin.safe_next(request, "/applications/1/") == "/applications/1/"
    assert signin.safe_next(request, "https://evil.example/") == ""
    assert signin.safe_next(request, "//evil.example/") == ""


@pytest.mark.django_db
def test_identity_sign_in_is_idempotent_and_audits_no_personal_data(citizen):
    from django.contrib.auth.models import AnonymousUser

    from yorisou.accounts import services
    from yorisou.accounts.models import User
    from yorisou.core.models import AuditEvent

    claims = {
        "name": "見本 太郎",
        "address": {"formatted": "大阪府大阪市北区（見本）"},
        "birthdate": "19501224",
        "gender": "male",
    }
    first = services.verified_identity_sign_in(
        actor=AnonymousUser(),
        provider_id="mynumber",
        issuer="https://idp.example",
        subject="abc",
        claims=claims,
    )
    again = services.verified_identity_sign_in(
        actor=AnonymousUser(),
        provider_id="mynumber",
        issuer="https://idp.example",
        subject="abc",
        claims={**claims, "address": "福岡県（見本）"},
    )
    assert first.pk == again.pk and first.user_id == again.user_id
    assert again.address == "福岡県（見本）"
    assert again.birthdate == date(1950, 12, 24)
    assert VerifiedIdentity.objects.count() == 1
    assert User.objects.exclude(pk=citizen.pk).count() == 1
    update = AuditEvent.objects.get(action="accounts.verified_identity.update")
    assert update.changes == {"claims_changed": [None, ["address"]]}
    trail = str(list(AuditEvent.objects.values_list("changes", "target_repr")))
    assert "見本" not in trail and "福岡" not in trail and "1950" not in trail
    # the card belongs to that account: a different signed-in citizen is refused
    from yorisou.accounts.oidc import SignInError

    with pytest.raises(SignInError) as error:
        services.verified_identity_sign_in(
            actor=citizen,
            provider_id="mynumber",
            issuer="https://idp.example",
            subject="abc",
            claims=claims,
        )
    assert error.value.reason == "linked_elsewhere"
