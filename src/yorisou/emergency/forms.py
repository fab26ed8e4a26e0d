"""Forms of the Live119 staff screens (parse input only; services validate)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yorisou.emergency.constants import GUIDANCE_TYPES, IncidentKind


class IncidentForm(forms.Form):
    """A new incident, or the facts of an open one."""

    caller_phone = forms.CharField(
        label=_("Caller's phone number"),
        max_length=30,
        required=False,
        help_text=_("As shown by the caller ID, e.g. 090-1234-5678."),
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "off", "inputmode": "tel"}
        ),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=IncidentKind.choices, initial=IncidentKind.MEDICAL
    )
    address = forms.CharField(
        label=_("Address or place"), max_length=300, required=False
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InviteForm(forms.Form):
    """The mobile number the video link goes to."""

    phone = forms.CharField(
        label=_("Mobile number for the SMS"),
        max_length=30,
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "off", "inputmode": "tel"}
        ),
    )


class UnitForm(forms.Form):
    """A unit to send."""

    unit: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=pgettext_lazy("fire unit", "Unit"), queryset=None
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = units
        field.empty_label = _("Choose a unit…")


class CloseForm(forms.Form):
    """Closing an incident, with an optional reason for the timeline."""

    reason = forms.CharField(
        label=_("Outcome (optional)"), max_length=500, required=False
    )


class GuidanceForm(forms.Form):
    """A guidance video for the library."""

    title_ja = forms.CharField(label=_("Title (Japanese)"), max_length=100)
    title_en = forms.CharField(
        label=_("Title (English)"), max_length=150, required=False
    )
    file = forms.FileField(
        label=_("Video file (MP4 or WebM)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(sorted(GUIDANCE_TYPES))}
        ),
    )
