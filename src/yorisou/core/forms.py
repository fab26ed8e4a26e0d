"""Forms of the core app."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yorisou.core.selectors import AuditFilter


class AuditFilterForm(forms.Form):
    """Filters of the audit trail screen."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    actor = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.CharField(label=_("Action"), required=False, max_length=100)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def to_filter(self) -> AuditFilter:
        data = self.cleaned_data if self.is_valid() else {}
        return AuditFilter(
            q=data.get("q") or "",
            actor=data.get("actor") or "",
            action=data.get("action") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class SiteConfigurationForm(forms.Form):
    """Run-time settings for system administrators."""

    require_staff_two_factor = forms.BooleanField(
        label=_("Require two-factor sign-in (TOTP) for all staff"), required=False
    )


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ``ValidationError`` on a form: field errors beside their
    fields (unknown fields as form errors), plain messages at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for one in errors:
                form.add_error(field if field in form.fields else None, one)
    else:
        for message in error.messages:
            form.add_error(None, message)
