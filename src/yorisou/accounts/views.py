"""Views of the accounts app: home, sign-in/out, password, two-factor, organisation."""

import base64
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

import segno
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from yorisou.accounts import importers, selectors, services
from yorisou.accounts.forms import OrgImportForm, TokenForm
from yorisou.core import permissions
from yorisou.core.constants import Role
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
        },
    )


class LoginView(auth_views.LoginView):
    """Sign-in (throttled by django-axes); the sign-in goes into the audit trail."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        services.user_signed_in(user=form.get_user())
        return response


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
