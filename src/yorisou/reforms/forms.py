"""Forms of the reform plan screens (parsing only; services validate the domain)."""

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yorisou.accounts.models import OrgUnit
from yorisou.reforms.constants import Status, ValueKind
from yorisou.reforms.models import (
    ActionItem,
    Indicator,
    Initiative,
    Pillar,
    Plan,
    ReportingPeriod,
    Series,
    Stage,
)
from yorisou.reforms.selectors import NOT_REPORTED
from yorisou.reforms.services import STRUCTURE_FIELDS

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OrgUnitChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """An org unit picker that shows the tree by indentation."""

    def label_from_instance(self, obj: Any) -> str:
        return str("\u3000" * obj.depth + obj.display_name)


def _org_units() -> Any:
    return OrgUnit.objects.filter(is_active=True).order_by("path")


class PlanForm(forms.ModelForm):  # type: ignore[type-arg]
    """A plan and the names of its levels."""

    org_unit = OrgUnitChoiceField(
        queryset=_org_units(), required=False, label=_("managed by")
    )

    class Meta:
        model = Plan
        fields = STRUCTURE_FIELDS[Plan]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class StageForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Stage
        fields = STRUCTURE_FIELDS[Stage]
        widgets = {"goal": forms.Textarea(attrs={"rows": 4})}


class PillarForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Pillar
        fields = STRUCTURE_FIELDS[Pillar]
        widgets = {"aim": forms.Textarea(attrs={"rows": 3})}


class InitiativeForm(forms.ModelForm):  # type: ignore[type-arg]
    org_unit = OrgUnitChoiceField(
        queryset=_org_units(), required=False, label=_("lead unit")
    )

    class Meta:
        model = Initiative
        fields = STRUCTURE_FIELDS[Initiative]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ActionItemForm(forms.ModelForm):  # type: ignore[type-arg]
    org_unit = OrgUnitChoiceField(queryset=_org_units(), label=_("responsible unit"))

    class Meta:
        model = ActionItem
        fields = [*STRUCTURE_FIELDS[ActionItem], "indicators"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "indicators": forms.CheckboxSelectMultiple,
        }


class IndicatorForm(forms.ModelForm):  # type: ignore[type-arg]
    org_unit = OrgUnitChoiceField(
        queryset=_org_units(), required=False, label=_("responsible section")
    )

    class Meta:
        model = Indicator
        fields = STRUCTURE_FIELDS[Indicator]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}


class SeriesForm(forms.ModelForm):  # type: ignore[type-arg]
    org_unit = OrgUnitChoiceField(
        queryset=_org_units(), required=False, label=_("responsible section")
    )

    class Meta:
        model = Series
        fields = [f for f in STRUCTURE_FIELDS[Series] if f != "plan"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}


# The structure kinds edited through one generic screen: url kind → form.
STRUCTURE_FORMS: dict[str, type[forms.ModelForm]] = {  # type: ignore[type-arg]
    "stage": StageForm,
    "pillar": PillarForm,
    "initiative": InitiativeForm,
    "item": ActionItemForm,
    "indicator": IndicatorForm,
    "series": SeriesForm,
}


def limit_to_plan(form: forms.ModelForm, plan: Plan) -> None:  # type: ignore[type-arg]
    """Offer only the parents and indicators of this plan."""
    choices = {
        "stage": Stage.objects.filter(plan=plan),
        "pillar": Pillar.objects.filter(plan=plan),
        "initiative": Initiative.objects.filter(plan=plan),
        "indicators": Indicator.objects.filter(plan=plan),
    }
    for name, queryset in choices.items():
        if name in form.fields:
            form.fields[name].queryset = queryset  # type: ignore[attr-defined]


class StatusReportForm(forms.Form):
    """A bureau's status report for one item and period."""

    status = forms.ChoiceField(
        label=_("Progress status"), choices=Status.choices, widget=forms.RadioSelect
    )
    progress = forms.IntegerField(
        label=_("Progress (%)"),
        min_value=0,
        max_value=100,
        help_text=_("How much of the planned work for this fiscal year is done."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Required unless the status is on plan or done: what changed and why."
        ),
    )
    narrative = forms.CharField(
        label=_("What was done"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReviewForm(forms.Form):
    """The reform office's comment when approving or returning a report."""

    comment = forms.CharField(
        label=_("Comment to the bureau"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class IndicatorValueForm(forms.Form):
    """One yearly value of an indicator."""

    fiscal_year = forms.IntegerField(
        label=_("Fiscal year"), min_value=1900, max_value=2200
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ValueKind.choices)
    value = forms.DecimalField(label=_("Value"), max_digits=20, decimal_places=4)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class SeriesPointForm(forms.Form):
    """One point of a time series."""

    on = forms.DateField(label=_("Date"), widget=_DATE)
    value = forms.DecimalField(label=_("Value"), max_digits=20, decimal_places=4)


class PeriodForm(forms.Form):
    """A reporting period to open or change."""

    code = forms.CharField(
        label=_("Period"),
        max_length=20,
        help_text=_("FY2024 (a year), FY2024-H1 (a half) or FY2024-Q1 (a quarter)."),
    )
    deadline = forms.DateField(
        label=_("Reporting deadline"),
        required=False,
        widget=_DATE,
        help_text=_("Empty: 30 days after the period ends."),
    )
    is_closed = forms.BooleanField(label=_("Closed"), required=False)


def _quarter_choices() -> list[tuple[int, str]]:
    """Whole year or a quarter, in the active language."""
    return [(0, gettext("whole year"))] + [
        (n, gettext("Q%(number)s") % {"number": n}) for n in range(1, 5)
    ]


class ScheduleEntryForm(forms.Form):
    """Planned work of an action item for a fiscal year or one of its quarters."""

    fiscal_year = forms.IntegerField(
        label=_("Fiscal year"), min_value=1900, max_value=2200
    )
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        coerce=int,
        choices=_quarter_choices,
    )
    description = forms.CharField(label=_("Planned work"), max_length=500)


class MilestoneForm(forms.Form):
    """A dated milestone, and when it was reached."""

    title = forms.CharField(label=_("Milestone"), max_length=300)
    due_on = forms.DateField(label=_("Due"), widget=_DATE)
    done_on = forms.DateField(label=_("Reached on"), required=False, widget=_DATE)


class UploadForm(forms.Form):
    """A file to import."""

    file = forms.FileField(label=_("File"))


class DashboardFilterForm(forms.Form):
    """Filters of the plan dashboard."""

    period = forms.ChoiceField(label=_("Period"), required=False)
    bureau = forms.ChoiceField(label=_("Bureau"), required=False)
    pillar = forms.ChoiceField(label=_("Promotion item"), required=False)
    status = forms.ChoiceField(label=_("Progress status"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(
        self,
        data: Any,
        *,
        periods: list[ReportingPeriod],
        bureaus: list[OrgUnit],
        pillars: list[Pillar],
        pillar_label: str,
    ) -> None:
        super().__init__(data)
        choice = self._choice_field
        choice("period").choices = [(p.code, p.label) for p in reversed(periods)]
        choice("bureau").choices = [("", _("All bureaus"))] + [
            (b.code, b.display_name) for b in bureaus
        ]
        self.fields["pillar"].label = pillar_label
        choice("pillar").choices = [("", _("All"))] + [
            (p.code, f"{p.code} {p.display_name}") for p in pillars
        ]
        choice("status").choices = [
            ("", _("All statuses")),
            *Status.choices,
            (NOT_REPORTED, _("Not reported")),
        ]

    def _choice_field(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field
