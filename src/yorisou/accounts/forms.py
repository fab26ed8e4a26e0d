"""Forms of the accounts app."""

from django import forms
from django.utils.translation import gettext_lazy as _


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
