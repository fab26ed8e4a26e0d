"""Views of the accounts app: home, sign-in/out (password and sign-in providers such
as the My Number card), citizen sign-up, password, two-factor, organisation."""

import base64
import hashlib
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

import segno
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from yorisou.accounts import importers, selectors, services, signin
from yorisou.accounts.constants import (
    ASSURANCE_ACCOUNT,
    ASSURANCE_LABELS,
    ASSURANCE_LEVELS,
    ASSURANCE_MYNUMBER,
    SESSION_ASSURANCE,
    SESSION_IDENTITY,
    assurance_satisfies,
)
from yorisou.accounts.forms import (
    EmailForm,
    LoginForm,
    OrgImportForm,
    SignUpForm,
    TokenForm,
)
from yorisou.accounts.oidc import SignInError
from yorisou.core import cache as core_cache
from yorisou.core import permissions
from yorisou.core.constants import Role
from yorisou.core.middleware import client_ip
from yorisou.core.tabular import TabularFormatError

ROLE_HINTS = {
    Role.CITIZEN: _("Apply for procedures online and follow their progress."),
    Role.STAFF: _("Your section's work and the city's organisation chart."),
    Role.BUREAU_REFORM_LEAD: _("Submit your bureau's reform progress reports."),
    Role.REFORM_OFFICE: _("Review progress reports and run the reform plan."),
    Role.PROCEDURE_OFFICER: _("Maintain the procedure inventory and online forms."),
    Role.DISPATCHER: _("Live119: video and location from 119 callers."),
    Role.FIRE_UNIT: _("Live119: the incidents your unit is dispatched to."),
    Role.FAQ_EDITOR: _("Edit the answers of the FAQ chatbot."),
    Role.SYSTEM_ADMIN: _("Organisation, users, roles, settings and the audit trail."),
}


def home(request: HttpRequest) -> HttpResponse:
    """ホーム: a landing page for visitors, the role-aware home once signed in."""
    if not request.user.is_authenticated:
        return render(request, "accounts/landing.html")
    roles = selectors.role_assignment_list(actor=request.user, user=request.user)
    is_staff = permissions.is_staff_member(request.user)
    return render(
        request,
        "accounts/home.html" if is_staff else "accounts/citizen_home.html",
        {
            "assignments": roles,
            "role_hints": [
                (Role(a.role).label, ROLE_HINTS[Role(a.role)])
                for a in roles
                if a.role in Role.values
            ],
            "has_two_factor": TOTPDevice.objects.filter(
                user=request.user, confirmed=True
            ).exists(),
            **({} if is_staff else _citizen_identity(request)),
        },
    )


def _citizen_identity(request: HttpRequest) -> dict[str, Any]:
    """My page: how the person's identity is confirmed, and the way to do it."""
    user: Any = request.user
    provider = signin.provider_get("mynumber")
    return {
        "assurance": selectors.session_assurance(request),
        "identity": selectors.verified_identity_list(actor=user, user=user).first(),
        "mynumber_url": reverse("accounts:signin_start", args=["mynumber"])
        if provider
        else "",
        "has_password": user.has_usable_password(),
    }


class LoginView(auth_views.LoginView):
    """Sign-in (throttled by django-axes); the sign-in goes into the audit trail.

    Lists the enabled sign-in providers. ``?assurance=mynumber&next=…`` (sent by a
    procedure that needs it) puts the My Number card first with an explanation,
    and shows the page even to someone signed in with a password.
    """

    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        needed = request.GET.get("assurance", "")
        self.needed_assurance = needed if needed in ASSURANCE_LEVELS else ""
        if self.needed_assurance and not assurance_satisfies(
            selectors.session_assurance(request), self.needed_assurance
        ):
            self.redirect_authenticated_user = False
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        next_url = signin.safe_next(self.request, self.get_redirect_url())
        query = f"?{urlencode({'next': next_url})}" if next_url else ""
        providers = [
            {
                "id": provider_id,
                "provider": provider,
                "url": reverse("accounts:signin_start", args=[provider_id]) + query,
            }
            for provider_id, provider in signin.enabled_providers()
        ]
        context.update(
            providers=providers,
            needed_assurance=self.needed_assurance,
            needed_label=ASSURANCE_LABELS.get(self.needed_assurance, ""),
            mynumber_first=self.needed_assurance == ASSURANCE_MYNUMBER,
        )
        return context

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        self.request.session[SESSION_ASSURANCE] = ASSURANCE_ACCOUNT
        self.request.session.pop(SESSION_IDENTITY, None)
        services.user_signed_in(user=form.get_user(), assurance=ASSURANCE_ACCOUNT)
        return response


SIGN_IN_FAILURES = {
    "access_denied": gettext_lazy(
        "You cancelled the sign-in with your My Number card. Nothing was changed."
    ),
    "state_mismatch": gettext_lazy(
        "This sign-in has expired or was already completed. Please start again."
    ),
    "token_failed": gettext_lazy(
        "This sign-in has expired or was already completed. Please start again."
    ),
    "nonce_mismatch": gettext_lazy(
        "The answer from the sign-in service could not be verified. Please start again."
    ),
    "id_token_invalid": gettext_lazy(
        "The answer from the sign-in service could not be verified. Please start again."
    ),
    "linked_elsewhere": gettext_lazy(
        "This My Number card is linked to another account. Sign out, then sign in "
        "with the card."
    ),
    "staff_account": gettext_lazy(
        "Staff accounts cannot sign in with a My Number card. Sign out first."
    ),
    "account_inactive": gettext_lazy(
        "This account is disabled. Please contact the city office."
    ),
}
SIGN_IN_UNAVAILABLE = gettext_lazy(
    "The sign-in service is not available right now. Please try again later, or "
    "sign in with your email address and password."
)


def _sign_in_failed(
    request: HttpRequest, provider_id: str, reason: str
) -> HttpResponse:
    services.sign_in_failed(actor=request.user, provider_id=provider_id, reason=reason)
    return render(
        request,
        "accounts/signin_error.html",
        {
            "message": SIGN_IN_FAILURES.get(reason, SIGN_IN_UNAVAILABLE),
            "cancelled": reason == "access_denied",
            "reason": reason,
        },
        status=200 if reason == "access_denied" else 400,
    )


@require_GET
def signin_start(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Send the browser to the provider (state, nonce and PKCE kept in the session)."""
    try:
        url = signin.begin(request, provider_id, next_url=request.GET.get("next", ""))
    except SignInError as exc:
        if exc.reason == "not_configured":
            raise Http404 from None
        return _sign_in_failed(request, provider_id, exc.reason)
    return redirect(url)


@require_GET
def signin_callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """The provider sends the browser back here: verify, then sign in."""
    try:
        identity, next_url = signin.finish(request, provider_id)
    except SignInError as exc:
        return _sign_in_failed(request, provider_id, exc.reason)
    user = identity.user
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_ASSURANCE] = ASSURANCE_MYNUMBER
    request.session[SESSION_IDENTITY] = identity.pk
    services.user_signed_in(user=user, assurance=ASSURANCE_MYNUMBER)
    messages.success(request, _("You are signed in with your My Number card."))
    return redirect(next_url or "home")


# Sign-up: a few tries per address per hour are plenty for a person, and stop a
# script from mailing someone's inbox full or probing addresses.
SIGN_UP_LIMIT = 10
RESEND_LIMIT = 5
THROTTLE_SECONDS = 60 * 60


def _throttled(request: HttpRequest, scope: str, limit: int, *extra: str) -> bool:
    """Count one attempt per client address (and per ``extra`` key); over limit?"""
    over = False
    for part in (client_ip(request) or "unknown", *extra):
        digest = hashlib.sha256(part.encode()).hexdigest()[:32]
        key = f"yorisou:throttle:{scope}:{digest}"
        over = core_cache.hit(key, THROTTLE_SECONDS) > limit or over
    return over


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/throttled.html", status=429)


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """利用者登録: email, name and password; the account works once confirmed."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        if _throttled(request, "signup", SIGN_UP_LIMIT):
            return _too_many(request)
        if form.is_valid():
            services.citizen_sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                display_name=form.cleaned_data["display_name"],
                base_url=_base_url(request),
            )
            return redirect("accounts:signup_done")
    return render(request, "accounts/signup.html", {"form": form})


def signup_done(request: HttpRequest) -> HttpResponse:
    """The same answer for every sign-up: check your inbox."""
    return render(request, "accounts/signup_done.html")


@require_http_methods(["GET", "POST"])
def signup_verify(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the email: a button confirms (mail scanners only GET links)."""
    if request.method == "GET":
        return render(request, "accounts/signup_verify.html", {"outcome": ""})
    outcome, _user = services.email_verify(token=token)
    return render(
        request,
        "accounts/signup_verify.html",
        {"outcome": outcome},
        status=400 if outcome in ("invalid", "expired") else 200,
    )


@require_http_methods(["GET", "POST"])
def signup_resend(request: HttpRequest) -> HttpResponse:
    """Send the confirmation link again (never says whether the address exists)."""
    form = EmailForm(request.POST or None)
    if request.method == "POST":
        email = request.POST.get("email", "").strip().lower()
        if _throttled(request, "resend", RESEND_LIMIT, email):
            return _too_many(request)
        if form.is_valid():
            services.email_verification_resend(
                email=form.cleaned_data["email"], base_url=_base_url(request)
            )
            return redirect("accounts:signup_done")
    return render(request, "accounts/signup_resend.html", {"form": form})


@require_http_methods(["POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign-out (POST only, CSRF-checked)."""
    if request.user.is_authenticated:
        services.user_signed_out(user=request.user)
    from django.contrib.auth import logout

    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("accounts:login")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's password; the service saves and audits it."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: Any) -> HttpResponse:
        services.user_password_change(
            actor=self.request.user,  # type: ignore[arg-type]
            user=form.user,
            new_password=form.cleaned_data["new_password1"],
        )
        from django.contrib.auth import update_session_auth_hash

        update_session_auth_hash(self.request, form.user)
        messages.success(self.request, _("Your password was changed."))
        return redirect(self.get_success_url())


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by email (the answer is the same for unknown emails)."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Set a new password from the emailed link; the service saves and audits it."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: SetPasswordForm[Any]) -> HttpResponse:
        services.user_password_change(
            actor=form.user,
            user=form.user,
            new_password=form.cleaned_data["new_password1"],
        )
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return redirect(self.success_url)


def _qr_data_uri(device: TOTPDevice) -> str:
    svg = segno.make(device.config_url, error="m").svg_inline(scale=5)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponseBase:
    """Set up an authenticator app: scan the QR code, confirm with a code."""
    user: Any = request.user
    form = TokenForm(request.POST or None)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if request.method == "POST" and device is not None and form.is_valid():
        if services.totp_device_confirm(
            actor=user, device=device, token=form.cleaned_data["otp_token"]
        ):
            otp_login(request, device)
            messages.success(request, _("Two-factor sign-in is now on."))
            return redirect("home")
        form.add_error("otp_token", _("The code is not right. Try the newest code."))
    if device is None:
        device = services.totp_device_start(actor=user)
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/two_factor_setup.html",
        {"form": form, "qr": _qr_data_uri(device), "secret": secret},
    )


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponseBase:
    """The second step of sign-in: a code from the authenticator app."""
    user: Any = request.user
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(form.cleaned_data["otp_token"]):
                otp_login(request, device)
                return redirect(request.GET.get("next") or "home")
        form.add_error("otp_token", _("The code is not right. Try the newest code."))
    return render(request, "accounts/two_factor_verify.html", {"form": form})


@login_required
def org_tree(request: HttpRequest) -> HttpResponse:
    """組織図: bureaus, departments and sections."""
    units = selectors.org_unit_list(actor=request.user)
    return render(request, "accounts/org_tree.html", {"units": units})


@login_required
def org_import(request: HttpRequest) -> HttpResponse:
    """組織一括登録: upload CSV/XLSX; all-or-nothing with every bad cell listed."""
    permissions.require_role(request.user, Role.SYSTEM_ADMIN)
    form = OrgImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = importers.org_unit_import(
                actor=request.user, stream=upload, filename=upload.name
            )
        except TabularFormatError as exc:
            form.add_error("file", str(exc))
        else:
            if result.ok:
                messages.success(
                    request,
                    _(
                        "Imported: %(created)d new, %(updated)d updated, "
                        "%(unchanged)d unchanged."
                    )
                    % {
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                    },
                )
                return redirect("accounts:org_import")
    status = 400 if result is not None and not result.ok else 200
    return render(
        request,
        "accounts/org_import.html",
        {"form": form, "result": result},
        status=status,
    )
