"""Endpoints of the sample provider: discovery, JWKS, authorize, token, userinfo."""

from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from authlib.integrations.django_oauth2 import (  # type: ignore[import-untyped]
    BearerTokenValidator,
    ResourceProtector,
)
from authlib.oauth2 import OAuth2Error  # type: ignore[import-untyped]

from yorisou.devidp import server as idp
from yorisou.devidp.forms import CardForm
from yorisou.devidp.models import AccessToken
from yorisou.devidp.persons import GENDER_LABELS, SAMPLE_PERSONS, person_get

_protector = ResourceProtector()
_protector.register_token_validator(BearerTokenValidator(AccessToken))


def root(request: HttpRequest) -> HttpResponse:
    """What this is: a sample provider, and where its metadata is."""
    return render(
        request,
        "devidp/root.html",
        {"issuer": idp.issuer(request), "persons": SAMPLE_PERSONS},
    )


@require_GET
def discovery(request: HttpRequest) -> JsonResponse:
    """OpenID Connect Discovery: ``/.well-known/openid-configuration``."""
    base = idp.issuer(request)
    return JsonResponse(
        {
            "issuer": base,
            "authorization_endpoint": request.build_absolute_uri(
                reverse("devidp:authorize")
            ),
            "token_endpoint": request.build_absolute_uri(reverse("devidp:token")),
            "userinfo_endpoint": request.build_absolute_uri(reverse("devidp:userinfo")),
            "jwks_uri": request.build_absolute_uri(reverse("devidp:jwks")),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": list(idp.SCOPES),
            "claims_supported": ["sub", "name", "address", "birthdate", "gender"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
        }
    )


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    """The public signing key(s)."""
    return JsonResponse(idp.public_jwks())


def _error_page(request: HttpRequest, error: Any) -> HttpResponse:
    return render(
        request,
        "devidp/error.html",
        {"error": getattr(error, "error", "invalid_request")},
        status=400,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    """「カードをかざす」: pick a sample person, type the PIN, consent — or cancel."""
    server = idp.server_for(request)
    try:
        grant = server.get_consent_grant(request, end_user=None)
    except OAuth2Error as error:
        # Never redirect to an unchecked redirect_uri: show the error here.
        return _error_page(request, error)
    if not request.GET.get("state"):
        return _error_page(request, OAuth2Error(error="invalid_request"))
    form = CardForm(request.POST or None)
    if request.method == "POST":
        if "cancel" in request.POST:
            return server.create_authorization_response(  # type: ignore[no-any-return]
                request, grant_user=None, grant=grant
            )
        if form.is_valid():
            person = person_get(form.cleaned_data["person"])
            return server.create_authorization_response(  # type: ignore[no-any-return]
                request, grant_user=person, grant=grant
            )
    redirect_uri = grant.request.payload.redirect_uri or ""
    parts = urlsplit(redirect_uri)
    response = render(
        request,
        "devidp/authorize.html",
        {
            "form": form,
            "scopes": [s for s in grant.request.scope.split() if s != "openid"],
            "persons": [
                (p, GENDER_LABELS.get(p.gender, p.gender)) for p in SAMPLE_PERSONS
            ],
            "client_host": parts.netloc,
        },
        status=400 if form.is_bound else 200,
    )
    # The answer redirects the browser to the client: let the form go there.
    response._csp_update = {  # type: ignore[attr-defined]
        "form-action": [f"{parts.scheme}://{parts.netloc}"]
    }
    return response


@csrf_exempt
@require_http_methods(["POST"])
def token(request: HttpRequest) -> HttpResponse:
    """The token endpoint: code (+ PKCE verifier) for an ID token and access token."""
    return idp.server_for(request).create_token_response(request)  # type: ignore[no-any-return]


@csrf_exempt
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> HttpResponse:
    """The 基本4情報 of the person, for the scopes granted."""
    try:
        access = _protector.acquire_token(request, ["openid"])
    except OAuth2Error as error:
        response = JsonResponse(dict(error.get_body()), status=error.status_code)
        for key, value in error.get_headers():
            response[key] = value
        return response
    person = person_get(access.person_id)
    if person is None:
        return JsonResponse({"error": "invalid_token"}, status=401)
    granted = set(access.scope.split())
    claims = {k: v for k, v in person.claims().items() if k in granted}
    return JsonResponse({"sub": person.sub, **claims})
