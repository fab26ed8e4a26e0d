"""Forms of the procedure inventory screens (parsing only; services validate)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yorisou.accounts.models import OrgUnit, User
from yorisou.procedures.constants import (
    Kind,
    TagKind,
    TriageClass,
    TriageReason,
    TriageStatus,
)
from yorisou.procedures.models import Procedure, Tag
from yorisou.procedures.services import PROCEDURE_FIELDS

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SectionField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A section picker labelled with its bureau."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class ProcedureForm(forms.ModelForm):  # type: ignore[type-arg]
    """A procedure of the catalogue."""

    org_unit = SectionField(
        queryset=OrgUnit.objects.filter(level="section", is_active=True).order_by(
            "path"
        ),
        label=_("responsible section"),
    )
    tags = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Life events and categories"),
    )

    class Meta:
        model = Procedure
        fields = [*PROCEDURE_FIELDS, "tags"]
        widgets = {"attachments": forms.Textarea(attrs={"rows": 2})}


class TriageForm(forms.Form):
    """The BPR decision on one procedure."""

    def __init__(self, *args: Any, owners: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        if owners is not None:
            owner.queryset = owners

    owner = forms.ModelChoiceField(
        label=_("owner"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("The member of staff who takes it forward."),
    )

    is_candidate = forms.BooleanField(label=_("priority candidate"), required=False)
    triage_class = forms.ChoiceField(
        label=_("classification"),
        required=False,
        choices=[("", _("not classified yet")), *TriageClass.choices],
        widget=forms.RadioSelect,
    )
    reason = forms.ChoiceField(
        label=_("reason"),
        required=False,
        choices=[("", "—"), *TriageReason.choices],
    )
    reason_text = forms.CharField(
        label=_("reason in words"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    target_fy = forms.IntegerField(
        label=_("target fiscal year"), required=False, min_value=2000, max_value=2100
    )
    target_quarter = forms.TypedChoiceField(
        label=_("target quarter"),
        coerce=int,
        choices=[(0, _("whole year")), (1, "Q1"), (2, "Q2"), (3, "Q3"), (4, "Q4")],
        required=False,
    )
    status = forms.ChoiceField(
        label=_("Online-ization status"), choices=TriageStatus.choices
    )
    done_on = forms.DateField(label=_("online since"), required=False, widget=_DATE)


class SelectionForm(forms.Form):
    """The rule that chooses priority candidates."""

    fiscal_year = forms.IntegerField(label=_("volumes of fiscal year"), min_value=2000)
    min_cases = forms.IntegerField(
        label=_("at least this many cases a year"), min_value=0
    )
    include_national = forms.BooleanField(
        label=_("always include national priority procedures"),
        required=False,
        initial=True,
    )
    include_tags = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.filter(kind=TagKind.LIFE_EVENT),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("always include these life events"),
    )
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CatalogueFilterForm(forms.Form):
    """Search and filters of the catalogue and the funnel."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    bureau = forms.ChoiceField(label=_("Bureau"), required=False)
    tag = forms.ChoiceField(label=_("Life event or category"), required=False)
    kind = forms.ChoiceField(
        label=_("kind"), required=False, choices=[("", _("All")), *Kind.choices]
    )
    national = forms.ChoiceField(
        label=_("National list"),
        required=False,
        choices=[
            ("", _("All")),
            ("26", _("26 child-rearing and care procedures")),
            ("31", _("31 priority procedures")),
        ],
    )
    triage_class = forms.ChoiceField(
        label=_("classification"),
        required=False,
        choices=[
            ("", _("All")),
            ("candidate", _("Candidates")),
            *TriageClass.choices,
            ("none", _("Not a candidate")),
        ],
    )
    status = forms.ChoiceField(
        label=_("Online-ization status"),
        required=False,
        choices=[("", _("All")), *TriageStatus.choices],
    )

    def __init__(self, data: Any, *, bureaus: list[OrgUnit], tags: list[Tag]) -> None:
        super().__init__(data)
        bureau = self.fields["bureau"]
        tag = self.fields["tag"]
        assert isinstance(bureau, forms.ChoiceField)
        assert isinstance(tag, forms.ChoiceField)
        bureau.choices = [("", _("All bureaus"))] + [
            (b.code, b.display_name) for b in bureaus
        ]
        tag.choices = [("", _("All"))] + [
            (t.code, f"{t.get_kind_display()}: {t.display_name}") for t in tags
        ]


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
