"""The sample provider's "hold your card" form."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from yorisou.devidp.persons import SAMPLE_PERSONS


class CardForm(forms.Form):
    """Choose whose sample card you hold, type its 4-digit PIN, and consent."""

    person = forms.ChoiceField(
        label=_("Whose card do you hold? (sample people)"),
        widget=forms.RadioSelect,
        choices=[
            (p.sub, f"{p.name}（{p.birthdate.isoformat()}）") for p in SAMPLE_PERSONS
        ],
        error_messages={"required": _("Choose a sample person.")},
    )
    pin = forms.RegexField(
        label=_("PIN of the card (4 digits)"),
        regex=r"^\d{4}$",
        help_text=_("Every sample card has the PIN 1234."),
        error_messages={
            "invalid": _("Enter the 4 digits of the PIN."),
            "required": _("Enter the 4 digits of the PIN."),
        },
        widget=forms.PasswordInput(
            attrs={
                "inputmode": "numeric",
                "maxlength": "4",
                "autocomplete": "off",
                "pattern": r"\d{4}",
            }
        ),
    )
    consent = forms.BooleanField(
        label=_("I agree to send my name, address, date of birth and gender."),
        error_messages={"required": _("Please agree, or cancel.")},
    )

    def clean_pin(self) -> str:
        pin = str(self.cleaned_data["pin"])
        if pin != str(settings.DEMO_IDP.get("PIN", "1234")):
            raise forms.ValidationError(_("The PIN is not right. (Sample cards: 1234)"))
        return pin

    def clean(self) -> dict[str, Any]:
        return super().clean() or {}
