"""Forms of the accounts app."""

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yorisou.accounts.models import User


class TokenForm(forms.Form):
    """A 6-digit one-time code from the authenticator app."""

    otp_token = forms.RegexField(
        label=_("6-digit code"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("Enter the 6 digits shown in the app.")},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "maxlength": "6",
                "pattern": r"\d{6}",
            }
        ),
    )


class OrgImportForm(forms.Form):
    """Upload of an organisation file."""

    file = forms.FileField(
        label=_("File (.csv or .xlsx)"),
        help_text=_(
            "Columns: code, parent_code, level (bureau/department/section), name_ja, "
            "name_en, sort_order. Existing codes are updated; nothing is imported if "
            "any row is wrong."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


class LoginForm(AuthenticationForm):
    """Sign-in with a username, or with the email address a citizen signed up with."""

    username = UsernameField(
        label=_("Username or email address"),
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "username",
                "autocapitalize": "none",
            }
        ),
    )

    def clean_username(self) -> str:
        username = str(self.cleaned_data.get("username") or "").strip()
        # Citizens' usernames are their email address, stored in lower case.
        return username.lower() if "@" in username else username


class SignUpForm(forms.Form):
    """利用者登録: a citizen account with an email address and a password."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=150,
        help_text=_("We send a link to this address to confirm it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    display_name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        help_text=_("How we address you on this site, for example 山田 花子."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_("At least 10 characters; not only numbers, not a common word."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    agree_terms = forms.BooleanField(
        label=_("I agree to the terms of use and to how my personal data is handled."),
        error_messages={"required": _("Please agree to the terms of use to continue.")},
    )

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are not the same."))
        elif first:
            candidate = User(
                username=data.get("email", ""),
                email=data.get("email", ""),
                display_name=data.get("display_name", ""),
            )
            try:
                password_validation.validate_password(first, candidate)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class EmailForm(forms.Form):
    """One email address (to send a confirmation link again)."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=150,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()
