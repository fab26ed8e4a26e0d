"""Screens of the procedure inventory: catalogue with Japanese search, procedure
page with its triage, candidate selection, the funnel dashboard, the survey file.

Views parse input, call one selector or service and render; permissions are
checked in the selectors and services.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from yorisou.accounts.models import OrgUnit
from yorisou.core.forms import add_service_errors
from yorisou.core.tabular import TabularFormatError
from yorisou.procedures import search, selectors, services
from yorisou.procedures import survey as survey_io
from yorisou.procedures.constants import Channel, TriageClass
from yorisou.procedures.forms import (
    CatalogueFilterForm,
    ProcedureForm,
    SelectionForm,
    TriageForm,
    UploadForm,
)
from yorisou.procedures.models import Procedure

PAGE_SIZE = 50


def _filter_form(request: HttpRequest) -> CatalogueFilterForm:
    bureaus = list(
        OrgUnit.objects.filter(level="bureau", is_active=True).order_by(
            "sort_order", "code"
        )
    )
    return CatalogueFilterForm(
        request.GET or None, bureaus=bureaus, tags=selectors.tag_list()
    )


def _filters(form: CatalogueFilterForm) -> selectors.ProcedureFilter:
    data = form.cleaned_data if form.is_valid() else {}
    return selectors.ProcedureFilter(
        bureau=data.get("bureau", ""),
        tag=data.get("tag", ""),
        kind=data.get("kind", ""),
        national=data.get("national", ""),
        triage_class=data.get("triage_class", ""),
        status=data.get("status", ""),
    )


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    """手続台帳: search (Japanese readings, widths, old characters) and filters."""
    form = _filter_form(request)
    year = selectors.latest_fiscal_year()
    procedures = selectors.procedure_list(
        actor=request.user, filters=_filters(form), fiscal_year=year
    )
    query = form.cleaned_data.get("q", "") if form.is_valid() else ""
    found: Any = search.search(procedures, query, limit=200) if query else procedures
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "procedures/catalogue.html",
        {
            "form": form,
            "page": page,
            "year": year,
            "query": query,
            "filtered": any(
                request.GET.get(name)
                for name in (
                    "bureau",
                    "tag",
                    "kind",
                    "national",
                    "triage_class",
                    "status",
                )
            ),
            "params": params.urlencode(),
            "can_create": selectors.can_edit_procedure(request.user, None),
        },
    )


def _procedure(request: HttpRequest, code: str) -> Procedure:
    try:
        return selectors.procedure_get(actor=request.user, code=code)
    except Procedure.DoesNotExist:
        raise Http404 from None


@login_required
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One procedure: its facts, volumes per year and channel, BPR decision and
    history; the triage form for those who may triage."""
    procedure = _procedure(request, code)
    history = selectors.decision_history(actor=request.user, procedure=procedure)
    current = next((d for d in history if d.is_current), None)
    can_triage = selectors.can_triage(request.user, procedure.org_unit)
    initial = (
        {
            "is_candidate": current.is_candidate,
            "triage_class": current.triage_class,
            "reason": current.reason,
            "reason_text": current.reason_text,
            "target_fy": current.target_fy,
            "target_quarter": current.target_quarter,
            "status": current.status,
            "done_on": current.done_on,
            "owner": current.owner_id,
        }
        if current
        else {"is_candidate": True, "status": "not_started"}
    )
    form = TriageForm(
        request.POST or None,
        initial=initial,
        owners=selectors.owner_choices(procedure=procedure),
    )
    if request.method == "POST":
        if not can_triage:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.triage_decide(
                    actor=request.user,
                    procedure=procedure,
                    is_candidate=data["is_candidate"],
                    triage_class=data["triage_class"],
                    reason=data["reason"],
                    reason_text=data["reason_text"],
                    target_fy=data["target_fy"],
                    target_quarter=data["target_quarter"] or 0,
                    owner=data["owner"],
                    status=data["status"],
                    done_on=data["done_on"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The decision was saved."))
                return redirect("procedures:detail", code=procedure.code)
    years = sorted({v.fiscal_year for v in procedure.volumes.all()}, reverse=True)
    table = {(v.fiscal_year, v.channel): v.cases for v in procedure.volumes.all()}
    volumes = [
        (
            year,
            [table.get((year, channel)) for channel in Channel.values],
            sum(table.get((year, channel)) or 0 for channel in Channel.values),
        )
        for year in years
    ]
    return render(
        request,
        "procedures/detail.html",
        {
            "procedure": procedure,
            "history": history,
            "current": current,
            "form": form,
            "can_triage": can_triage,
            "can_edit": selectors.can_edit_procedure(request.user, procedure.org_unit),
            "volumes": volumes,
            "channels": Channel.choices,
        },
    )


@login_required
def procedure_edit(request: HttpRequest, code: str = "") -> HttpResponse:
    """Create or change a procedure of the catalogue."""
    procedure = _procedure(request, code) if code else None
    if procedure is not None and not selectors.can_edit_procedure(
        request.user, procedure.org_unit
    ):
        raise PermissionDenied
    form = ProcedureForm(request.POST or None, instance=procedure)
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        try:
            services.procedure_save(
                actor=request.user,
                procedure=obj,
                created=procedure is None,
                tags=form.cleaned_data["tags"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved: %(name)s") % {"name": obj})
            return redirect("procedures:detail", code=obj.code)
    return render(
        request, "procedures/edit.html", {"form": form, "procedure": procedure}
    )


@login_required
def triage(request: HttpRequest) -> HttpResponse:
    """Candidate selection by a recorded rule, and the list of candidates."""
    form = SelectionForm(
        request.POST or None,
        initial={
            "fiscal_year": selectors.latest_fiscal_year(),
            "min_cases": 5000,
            "include_national": True,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            selection = services.candidates_select(
                actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(count)s procedures match the rule.")
                % {"count": selection.selected},
            )
            return redirect("procedures:triage")
    candidates = selectors.procedure_list(
        actor=request.user,
        filters=selectors.ProcedureFilter(triage_class="candidate"),
        fiscal_year=selectors.latest_fiscal_year(),
    ).order_by(F("cases").desc(nulls_last=True), "code")
    return render(
        request,
        "procedures/triage.html",
        {
            "form": form,
            "candidates": candidates,
            "selections": selectors.selection_list(actor=request.user)[:5],
            "can_select": selectors.can_triage(request.user, None),
        },
    )


@login_required
def funnel(request: HttpRequest) -> HttpResponse:
    """オンライン化の状況: the funnel, the roadmap burn-up, national coverage."""
    form = _filter_form(request)
    years = selectors.volume_years()
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = 0
    result = selectors.funnel(
        actor=request.user,
        fiscal_year=year if year in years else None,
        filters=_filters(form),
    )
    stages = [
        ("all", _("All procedures"), result.all),
        ("candidates", _("Priority candidates"), result.candidates),
        *(
            (key, str(TriageClass(key).label), result.classes[key])
            for key in TriageClass.values
        ),
    ]
    chart = {
        "type": "bars",
        "labels": [label for _key, label, _stage in stages],
        "datasets": [
            {
                "key": "cases",
                "label": _("Cases a year"),
                "data": [stage.cases for _key, _label, stage in stages],
            }
        ],
    }
    burnup = {
        "type": "line",
        "unit": "",
        "labels": [f"FY{p.fiscal_year} Q{p.quarter}" for p in result.roadmap],
        "datasets": [
            {
                "key": "planned",
                "label": _("Planned (cumulative)"),
                "data": [p.planned_total for p in result.roadmap],
            },
            {
                "key": "done",
                "label": _("Online (cumulative)"),
                "data": [p.done_total for p in result.roadmap],
            },
        ],
    }
    return render(
        request,
        "procedures/funnel.html",
        {
            "form": form,
            "funnel": result,
            "stages": stages,
            "chart": chart,
            "burnup": burnup,
            "years": years,
        },
    )


@login_required
def survey(request: HttpRequest) -> HttpResponse:
    """全庁調査票: download the catalogue, or upload a filled-in survey."""
    fmt = request.GET.get("format")
    if fmt in ("xlsx", "csv"):
        content = survey_io.procedure_export(actor=request.user, fmt=fmt)
        content_type = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if fmt == "xlsx"
            else "text/csv; charset=utf-8"
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="procedures.{fmt}"'
        return response
    form = UploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = survey_io.procedure_import(
                actor=request.user, stream_or_path=upload, filename=upload.name
            )
        except TabularFormatError as error:
            form.add_error("file", str(error))
        else:
            if result.ok:
                messages.success(
                    request,
                    _(
                        "Imported: %(created)s added, %(updated)s changed, "
                        "%(unchanged)s unchanged."
                    )
                    % {
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                    },
                )
                return redirect("procedures:survey")
    return render(
        request,
        "procedures/survey.html",
        {
            "form": form,
            "result": result,
            "can_import": selectors.can_import(request.user),
        },
    )
