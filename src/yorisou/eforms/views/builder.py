"""The form builder for staff: the online form of a procedure, its versions, the
definition editor with a live preview, JSON import/export, publishing."""

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yorisou.core.forms import add_service_errors
from yorisou.eforms import formschema, selectors, services
from yorisou.eforms.constants import Assurance, VersionState
from yorisou.eforms.models import FormDefinition, FormVersion

MAX_DEFINITION_BYTES = 512 * 1024


def _lang() -> str:
    return (get_language() or "ja")[:2]


def _form(request: HttpRequest, slug: str) -> FormDefinition:
    try:
        return selectors.form_get(actor=request.user, slug=slug)
    except FormDefinition.DoesNotExist:
        raise Http404 from None


class SettingsForm(forms.Form):
    slug = forms.SlugField(label=gettext_lazy("Address in the portal"), max_length=60)
    assurance = forms.ChoiceField(
        label=gettext_lazy("Identity needed"), choices=Assurance.choices
    )
    sla_days = forms.IntegerField(
        label=gettext_lazy("Answer within (business days)"), min_value=1, max_value=365
    )
    is_open = forms.BooleanField(
        label=gettext_lazy("Accepting applications"), required=False
    )


class DefinitionForm(forms.Form):
    schema = forms.CharField(
        label=gettext_lazy("Form definition (JSON)"),
        widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "false"}),
    )
    note = forms.CharField(
        label=gettext_lazy("What changed"), max_length=300, required=False
    )

    def clean_schema(self) -> Any:
        text = self.cleaned_data["schema"]
        if len(text.encode()) > MAX_DEFINITION_BYTES:
            raise ValidationError(_("The definition is larger than 512 KB."))
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                _("This is not valid JSON (line %(line)s, column %(col)s): %(msg)s")
                % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
            ) from None


@login_required
def form_list(request: HttpRequest) -> HttpResponse:
    """The online forms the actor manages."""
    return render(
        request,
        "eforms/builder/list.html",
        {"forms": list(selectors.form_list(actor=request.user))},
    )


@login_required
def form_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Settings of a form and its versions; the draft's editor."""
    form = _form(request, slug)
    settings_form = SettingsForm(
        request.POST if request.POST.get("part") == "settings" else None,
        initial={
            "slug": form.slug,
            "assurance": form.assurance,
            "sla_days": form.sla_days,
            "is_open": form.is_open,
        },
    )
    versions = selectors.version_list(actor=request.user, definition=form)
    draft = next((v for v in versions if v.state == VersionState.DRAFT), None)
    base = draft or form.current_version or (versions[0] if versions else None)
    definition_form = DefinitionForm(
        request.POST if request.POST.get("part") == "definition" else None,
        initial={
            "schema": json.dumps(base.schema, ensure_ascii=False, indent=2)
            if base
            else "",
            "note": draft.note if draft else "",
        },
    )
    if request.method == "POST":
        if request.POST.get("part") == "settings" and settings_form.is_valid():
            try:
                services.form_definition_save(
                    actor=request.user,
                    procedure=form.procedure,
                    section=form.section,
                    **settings_form.cleaned_data,
                )
            except ValidationError as error:
                add_service_errors(settings_form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect(
                    "eforms:builder_edit", slug=settings_form.cleaned_data["slug"]
                )
        if request.POST.get("part") == "definition" and definition_form.is_valid():
            try:
                services.form_version_save(
                    actor=request.user,
                    definition=form,
                    schema=definition_form.cleaned_data["schema"],
                    note=definition_form.cleaned_data["note"],
                )
            except ValidationError as error:
                add_service_errors(definition_form, error)
            else:
                messages.success(request, _("The draft version was saved."))
                return redirect("eforms:builder_edit", slug=form.slug)
    return render(
        request,
        "eforms/builder/edit.html",
        {
            "form": form,
            "settings_form": settings_form,
            "definition_form": definition_form,
            "versions": versions,
            "draft": draft,
            "preview": _preview(base.schema) if base else None,
        },
        status=400 if request.method == "POST" else 200,
    )


def _preview(schema: Any) -> dict[str, Any]:
    """Every step of a definition rendered as the citizen sees it, or its
    problems."""
    problems = formschema.validate_definition(schema)
    errors = [p for p in problems if getattr(p, "severity", "error") == "error"]
    if errors:
        return {"problems": problems, "steps": []}
    parsed = formschema.FormSchema(schema)
    return {
        "problems": problems,
        "title": parsed.title(_lang()),
        "steps": [
            {
                "key": one.key,
                "title": one.title(_lang()),
                "fields": formschema.bound_fields(
                    parsed, one.key, {}, {}, lang=_lang(), prefill={}
                ),
            }
            for one in parsed.steps
        ],
    }


@login_required
@require_POST
def form_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """The live preview of the definition being edited (htmx)."""
    _form(request, slug)
    try:
        schema = json.loads(request.POST.get("schema", ""))
    except json.JSONDecodeError as exc:
        return render(
            request,
            "eforms/builder/_preview.html",
            {"json_error": f"{exc.msg} ({exc.lineno}:{exc.colno})"},
        )
    return render(
        request, "eforms/builder/_preview.html", {"preview": _preview(schema)}
    )


@login_required
@require_POST
def version_publish(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    form = _form(request, slug)
    version = form.versions.filter(number=number).first()
    if version is None:
        raise Http404
    try:
        services.form_version_publish(actor=request.user, version=version)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Version %(number)s is published. New applications use it.")
            % {"number": number},
        )
    return redirect("eforms:builder_edit", slug=slug)


@login_required
def version_export(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """A version as a JSON file, to share the form with other cities."""
    form = _form(request, slug)
    version: FormVersion | None = form.versions.filter(number=number).first()
    if version is None:
        raise Http404
    response = HttpResponse(
        json.dumps(version.schema, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{form.slug}-v{version.number}.json"'
    )
    return response


@login_required
@require_POST
def version_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Load a JSON file as the draft version (checked first; nothing changes when
    it has problems)."""
    form = _form(request, slug)
    upload = request.FILES.get("file")
    if upload is None or upload.size is None or upload.size > MAX_DEFINITION_BYTES:
        messages.error(request, _("Choose a JSON file of at most 512 KB."))
        return redirect("eforms:builder_edit", slug=slug)
    try:
        schema = json.loads(upload.read().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        messages.error(request, _("This file is not JSON in UTF-8."))
        return redirect("eforms:builder_edit", slug=slug)
    try:
        services.form_version_save(
            actor=request.user,
            definition=form,
            schema=schema,
            note=_("Imported from %(name)s") % {"name": upload.name},
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except PermissionDenied:
        raise
    else:
        messages.success(request, _("The file was loaded as the draft version."))
    return redirect("eforms:builder_edit", slug=slug)
