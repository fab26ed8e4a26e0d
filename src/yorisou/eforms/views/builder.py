"""The form builder for staff: the online form of a procedure, its versions, the
structured editor (steps, fields, options, conditions) and the JSON editor, both
with a live preview, JSON import/export, publishing.

Every change of the structured editor is a small POST (``builder_change``) that
edits the definition with a pure function of ``eforms.builder_ops``, checks it with
``formschema.validate_definition`` and saves it as the draft version through
``services.form_version_save``. With htmx the editor is swapped in place; without
JavaScript each change redirects back to the page.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yorisou.core.forms import add_service_errors
from yorisou.eforms import builder_ops, formschema, selectors, services
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


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
def form_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Settings of a form and its versions; the draft's editors (structured, or
    JSON in the "advanced" tab)."""
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
                return redirect(_edit_url(form.slug, tab="json"))
    tab = (
        "json"
        if request.GET.get("tab") == "json" or request.POST.get("part") == "definition"
        else "build"
    )
    editing = request.GET.get("edit", "") if tab == "build" else ""
    builder = _builder_context(
        form, draft, base, editing=editing, focus=f"bf-{editing}-editor"
    )
    if _is_htmx(request) and request.method == "GET":
        response = render(request, "eforms/builder/_builder.html", builder)
    else:
        response = render(
            request,
            "eforms/builder/edit.html",
            {
                "form": form,
                "settings_form": settings_form,
                "definition_form": definition_form,
                "versions": versions,
                "draft": draft,
                "tab": tab,
                "preview": _preview(base.schema) if base else None,
                **builder,
            },
            status=400 if request.method == "POST" else 200,
        )
    patch_vary_headers(response, ["HX-Request"])
    return response


def _edit_url(slug: str, **query: str) -> str:
    url = reverse("eforms:builder_edit", kwargs={"slug": slug})
    query = {k: v for k, v in query.items() if v}
    return f"{url}?{urlencode(query)}" if query else url


# --- the structured editor -------------------------------------------------------

PREFILL_LABELS = {
    "name": gettext_lazy("Name (from the My Number card)"),
    "address": gettext_lazy("Address (from the My Number card)"),
    "birthdate": gettext_lazy("Date of birth (from the My Number card)"),
    "gender": gettext_lazy("Gender (from the My Number card)"),
    "email": gettext_lazy("Email address (from the account)"),
}
OPERATOR_LABELS = {
    "is": gettext_lazy("is"),
    "not": gettext_lazy("is not"),
    "in": gettext_lazy("is one of"),
}


@dataclass
class FieldRow:
    """A field as the structured editor lists it."""

    key: str
    type: str
    type_name: str
    label: str
    required: bool
    condition: str
    problems: list[formschema.Problem]
    first: bool
    last: bool
    in_group: bool
    children: list["FieldRow"] = field(default_factory=list)
    add_errors: dict[str, str] = field(default_factory=dict)


@dataclass
class StepRow:
    key: str
    number: int
    title: str
    title_ja: str
    title_en: str
    intro_ja: str
    intro_en: str
    first: bool
    last: bool
    problems: list[formschema.Problem]
    fields: list[FieldRow]
    errors: dict[str, str] = field(default_factory=dict)
    add_errors: dict[str, str] = field(default_factory=dict)


def _rev(definition: Any) -> str:
    """A fingerprint of the definition the page shows: a change made from an out
    of date page is refused instead of overwriting someone else's."""
    text = json.dumps(definition, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _values_text(values: list[Any], target: Any, lang: str) -> str:
    labels = {
        str(o.get("value")): builder_ops.display_text(o.get("label"), lang)
        for o in (target.get("options") or [] if target else [])
        if isinstance(o, dict)
    }
    shown = []
    for value in values:
        if isinstance(value, bool):
            shown.append(str(_("checked") if value else _("not checked")))
        else:
            shown.append(labels.get(str(value), str(value)))
    return "、".join(shown) if lang == "ja" else ", ".join(shown)


def _condition_text(definition: Any, spec: Any, lang: str) -> str:
    """``Shown only when “配偶者” is “いる”`` for a field's ``visible_if``."""
    logic = spec.get("visible_if")
    if logic is None:
        return ""
    simple = builder_ops.parse_condition(logic)
    if simple is None:
        return str(_("Shown only under a condition (JSON Logic)."))
    target = next(
        (
            loc.spec
            for loc in builder_ops.iter_fields(definition)
            if loc.spec.get("key") == simple.field
        ),
        None,
    )
    name = builder_ops.display_text(target.get("label"), lang) if target else ""
    if target is not None and target.get("type") == "checkbox":
        checked = bool(simple.values and simple.values[0] is True)
        if simple.operator == "not":
            checked = not checked
        return str(
            _("Shown only when “%(field)s” is checked.")
            if checked
            else _("Shown only when “%(field)s” is not checked.")
        ) % {"field": name or simple.field}
    return _("Shown only when “%(field)s” %(operator)s “%(values)s”.") % {
        "field": name or simple.field,
        "operator": OPERATOR_LABELS.get(simple.operator, simple.operator),
        "values": _values_text(simple.values, target, lang),
    }


def _rows(
    definition: Any, problems: dict[str, list[formschema.Problem]], lang: str
) -> list[StepRow]:
    names = {kind.type_id: str(kind.name) for kind in builder_ops.FIELD_KINDS}

    def row(spec: Any, path: str, index: int, count: int, group: bool) -> FieldRow:
        one = FieldRow(
            key=str(spec.get("key", "")),
            type=str(spec.get("type", "")),
            type_name=names.get(str(spec.get("type")), str(spec.get("type"))),
            label=builder_ops.display_text(spec.get("label"), lang)
            or builder_ops.display_text(spec.get("text"), lang)[:40],
            required=bool(spec.get("required")),
            condition=_condition_text(definition, spec, lang),
            problems=problems.get(path, []),
            first=index == 0,
            last=index == count - 1,
            in_group=group,
        )
        if spec.get("type") == "group":
            children = spec.get("fields") or []
            one.children = [
                row(child, f"{path}.fields.{i}", i, len(children), True)
                for i, child in enumerate(children)
            ]
        return one

    steps = definition.get("steps") or []
    result = []
    for number, step in enumerate(steps):
        fields = step.get("fields") or []
        result.append(
            StepRow(
                key=str(step.get("key", "")),
                number=number + 1,
                title=builder_ops.display_text(step.get("title"), lang),
                title_ja=builder_ops.text_of(step.get("title"), "ja"),
                title_en=builder_ops.text_of(step.get("title"), "en"),
                intro_ja=builder_ops.text_of(step.get("intro"), "ja"),
                intro_en=builder_ops.text_of(step.get("intro"), "en"),
                first=number == 0,
                last=number == len(steps) - 1,
                problems=problems.get(f"steps.{number}", []),
                fields=[
                    row(spec, f"steps.{number}.fields.{i}", i, len(fields), False)
                    for i, spec in enumerate(fields)
                ],
            )
        )
    return result


def _editor_context(
    definition: Any,
    key: str,
    editor: builder_ops.FieldEditor | None,
    problems: list[formschema.Problem],
    lang: str,
) -> dict[str, Any]:
    """What the edit form of one field needs."""
    try:
        located = builder_ops.find_field(definition, key)
    except builder_ops.EditError:
        return {}
    if editor is None:
        editor = builder_ops.editor_for(located.spec)
    warnings: dict[str, str] = {}
    general: list[str] = []
    for problem in problems:
        _owner, rest = builder_ops.owner_of(problem.path)
        name = builder_ops.input_for(rest)
        if name and name not in editor.errors:
            if problem.is_error:
                editor.errors[name] = problem.message
            else:
                warnings.setdefault(name, problem.message)
        elif problem.is_error:
            general.append(problem.message)
    candidates = []
    target = None
    for loc in builder_ops.condition_candidates(definition, key):
        spec = loc.spec
        one = {
            "key": spec.get("key"),
            "label": builder_ops.display_text(spec.get("label"), lang)
            or spec.get("key"),
            "type": spec.get("type"),
            "options": [
                {
                    "value": str(o.get("value")),
                    "label": builder_ops.display_text(o.get("label"), lang),
                }
                for o in spec.get("options") or []
                if isinstance(o, dict)
            ],
        }
        candidates.append(one)
        if spec.get("key") == editor.condition.field:
            target = one
    option_rows = [
        {
            "index": index,
            "value": row.value,
            "ja": row.ja,
            "en": row.en,
            "error_value": editor.errors.get(f"opt_value.{index}", ""),
            "error_ja": editor.errors.get(f"opt_ja.{index}", ""),
            "warning_en": warnings.get(f"opt_en.{index}", ""),
        }
        for index, row in enumerate(editor.options)
    ]
    kinds = [
        k
        for k in builder_ops.FIELD_KINDS
        if k.in_group or located.group is None or k.type_id == editor.type
    ]
    # a key the builder made up (text_2): typing the English label replaces it
    auto_key = bool(re.fullmatch(rf"{re.escape(editor.type)}(_\d+)?", editor.key))
    return {
        "editor": editor,
        "editor_kind": builder_ops.KINDS_BY_ID.get(editor.type),
        "editor_kinds": kinds,
        "editor_in_group": located.group is not None,
        "editor_warnings": warnings,
        "editor_general": general,
        "option_rows": option_rows,
        "new_option_index": len(option_rows),
        "candidates": candidates,
        "cond_target": target,
        "cond_values": [str(v) for v in editor.condition.values],
        "cond_value_text": ", ".join(
            str(v) for v in editor.condition.values if not isinstance(v, bool)
        ),
        "cond_checked": not editor.condition.values
        or editor.condition.values[0] in (True, "true", "on"),
        "operators": list(OPERATOR_LABELS.items()),
        "prefills": list(PREFILL_LABELS.items()),
        "auto_key": auto_key,
    }


def _builder_context(
    form: FormDefinition,
    draft: FormVersion | None,
    base: FormVersion | None,
    *,
    definition: Any = None,
    editing: str = "",
    editor: builder_ops.FieldEditor | None = None,
    errors: dict[str, str] | None = None,
    problems: list[formschema.Problem] | None = None,
    focus: str = "",
    status: str = "",
    failed_op: str = "",
    failed_target: str = "",
) -> dict[str, Any]:
    """Everything the structured editor (``_builder.html``) shows; ``errors`` of
    a change that failed go next to the form of that change (``failed_op`` on
    ``failed_target``)."""
    lang = _lang()
    saved = base.schema if base else builder_ops.new_definition(form.procedure.name)
    shown = saved if definition is None else definition
    all_problems = formschema.validate_definition(shown)
    grouped = builder_ops.problems_by_owner(all_problems)
    context: dict[str, Any] = {
        "form": form,
        "draft": draft,
        "base_version": base,
        "definition": shown,
        "rev": _rev(saved),
        "steps": _rows(shown, grouped, lang),
        "form_problems": grouped.get("", []),
        "title_ja": builder_ops.text_of(shown.get("title"), "ja"),
        "title_en": builder_ops.text_of(shown.get("title"), "en"),
        "intro_ja": builder_ops.text_of(shown.get("intro"), "ja"),
        "intro_en": builder_ops.text_of(shown.get("intro"), "en"),
        "field_kinds": builder_ops.FIELD_KINDS,
        "group_kinds": [k for k in builder_ops.FIELD_KINDS if k.in_group],
        "editing": editing,
        "errors": errors or {},
        "failed_op": failed_op,
        "form_errors": (errors or {}) if failed_op == "form_update" else {},
        "add_step_errors": (errors or {}) if failed_op == "step_add" else {},
        "change_problems": problems or [],
        "focus": focus,
        "status": status,
        "change_url": reverse("eforms:builder_change", kwargs={"slug": form.slug}),
        "edit_url": reverse("eforms:builder_edit", kwargs={"slug": form.slug}),
        "builder_preview": _preview(shown),
    }
    if errors and failed_op in ("step_update", "field_add"):
        for step in context["steps"]:
            if failed_op == "step_update" and step.key == failed_target:
                step.errors = errors
            if failed_op == "field_add":
                if step.key == failed_target:
                    step.add_errors = errors
                for row in step.fields:
                    if row.key == failed_target:
                        row.add_errors = errors
    if editing:
        path = next(
            (
                loc.path
                for loc in builder_ops.iter_fields(shown)
                if loc.spec.get("key") == editing
            ),
            None,
        )
        own = [
            p for p in all_problems if path and builder_ops.owner_of(p.path)[0] == path
        ]
        context.update(_editor_context(shown, editing, editor, own, lang))
        if "editor" not in context:
            context["editing"] = ""
    return context


def _focus_after_move(definition: Any, key: str, kind: str, pressed: str) -> str:
    """The move button pressed (to press it again), or the other one when the
    item reached the end of its list."""
    if kind == "step":
        index = builder_ops.step_index(definition, key)
        count = len(definition.get("steps") or [])
    else:
        located = builder_ops.find_field(definition, key)
        index, count = located.index, len(located.container)
    prefix = f"step-{key}" if kind == "step" else f"bf-{key}"
    if count < 2:
        return f"{prefix}-title" if kind == "step" else prefix
    if pressed == "up":
        return f"{prefix}-up" if index > 0 else f"{prefix}-down"
    return f"{prefix}-down" if index < count - 1 else f"{prefix}-up"


def _focus_after_error(op: str, target: str, errors: dict[str, str], post: Any) -> str:
    """The first input with an error, or the list of errors."""
    names = [name for name in errors if name]
    if "" in errors or not names:
        return "builder-errors"
    first = names[0].replace(".", "-")
    if op == "field_update":
        return f"be-{first}"
    if op == "step_update":
        return f"step-{target}-{first}"
    if op == "step_add":
        return "builder-add-step-title"
    if op == "form_update":
        return "builder-form-title"
    if op == "field_add":
        return f"add-{post.get('group') or post.get('step')}-types"
    return "builder-errors"


@login_required
@require_POST
def form_change(request: HttpRequest, slug: str) -> HttpResponse:
    """One change of the structured editor: saved to the draft version (htmx:
    the editor is sent back; otherwise a redirect to the page)."""
    form = _form(request, slug)
    versions = selectors.version_list(actor=request.user, definition=form)
    draft = next((v for v in versions if v.state == VersionState.DRAFT), None)
    base = draft or form.current_version or (versions[0] if versions else None)
    current = base.schema if base else builder_ops.new_definition(form.procedure.name)
    post = request.POST
    op = post.get("op", "")
    target = post.get("target", "")
    editing = post.get("editing", "")
    focus = ""
    new: Any = None
    try:
        if post.get("rev") and post["rev"] != _rev(current):
            raise builder_ops.EditError(
                {
                    "": _(
                        "The draft was changed meanwhile (in another window or "
                        "by a colleague). Here it is as it is now: check it and "
                        "make your change again."
                    )
                }
            )
        if op == "form_update":
            new = builder_ops.update_form(current, post)
            focus = "builder-form-title"
        elif op == "step_add":
            new, _step_key, field_key = builder_ops.add_step(current, post)
            editing, focus = field_key, "be-label_ja"
        elif op == "step_update":
            new = builder_ops.update_step(current, target, post)
            focus = f"step-{target}-title"
        elif op in ("step_up", "step_down"):
            new = builder_ops.move_step(current, target, -1 if op == "step_up" else 1)
            focus = _focus_after_move(
                new, target, "step", "up" if op == "step_up" else "down"
            )
        elif op == "step_delete":
            new = builder_ops.delete_step(current, target)
            focus = "builder-steps"
        elif op == "field_add":
            new, editing = builder_ops.add_field(
                current,
                post.get("type", ""),
                step=post.get("step", ""),
                group=post.get("group", ""),
            )
            focus = "be-label_ja"
        elif op == "field_update":
            if post.get("sub") == "refresh":
                # show the values of the field chosen for the condition; no save
                editor = builder_ops.editor_from_post(target, post)
                return _builder_response(
                    request,
                    form,
                    draft,
                    base,
                    editing=target,
                    editor=editor,
                    focus="be-cond_field",
                )
            update = builder_ops.update_field(current, target, post)
            new, editing = update.definition, update.key
            sub = post.get("sub", "")
            if update.type_changed:
                focus = "be-type"
            elif sub.startswith("option_"):
                focus = "be-options"
            else:
                focus = f"bf-{editing}-editor"
        elif op in ("field_up", "field_down"):
            new = builder_ops.move_field(current, target, -1 if op == "field_up" else 1)
            focus = _focus_after_move(
                new, target, "field", "up" if op == "field_up" else "down"
            )
        elif op == "field_delete":
            located = builder_ops.find_field(current, target)
            new = builder_ops.delete_field(current, target)
            focus = f"step-{current['steps'][located.step_index]['key']}-title"
            if located.group is not None:
                focus = f"bf-{located.group.get('key')}"
            if editing == target:
                editing = ""
        else:
            raise builder_ops.EditError({"": _("Unknown change.")})
    except builder_ops.EditError as error:
        editor = None
        if op == "field_update" and set(error.errors) - {""}:
            editor = builder_ops.editor_from_post(target, post)
            editor.errors = {k: v for k, v in error.errors.items() if k}
            editing = target
        return _builder_response(
            request,
            form,
            draft,
            base,
            editing=editing or (target if op == "field_update" else ""),
            editor=editor,
            errors=error.errors,
            focus=_focus_after_error(op, target, error.errors, post),
            failed=True,
            op=op,
            target=post.get("group") or post.get("step") or target
            if op == "field_add"
            else target,
        )
    problems = [p for p in formschema.validate_definition(new) if p.is_error]
    if problems:
        editor = None
        if op == "field_update":
            editor = builder_ops.editor_from_post(target, post)
            editing = target
        return _builder_response(
            request,
            form,
            draft,
            base,
            editing=editing,
            editor=editor,
            problems=problems,
            proposed=new,
            focus="builder-errors",
            failed=True,
            op=op,
        )
    try:
        saved = services.form_version_save(
            actor=request.user,
            definition=form,
            schema=new,
            note=draft.note if draft else _("Edited in the form builder"),
        )
    except ValidationError as error:
        return _builder_response(
            request,
            form,
            draft,
            base,
            editing=editing,
            errors={"": " ".join(error.messages)},
            focus="builder-errors",
            failed=True,
            op=op,
        )
    status = str(_("Saved to the draft version %(number)s.") % {"number": saved.number})
    if not _is_htmx(request):
        messages.success(request, status)
        anchor = focus.removesuffix("-up").removesuffix("-down")
        if anchor.startswith("be-"):
            anchor = f"bf-{editing}-editor"
        url = _edit_url(form.slug, edit=editing)
        return redirect(f"{url}#{anchor}" if anchor else url)
    return _builder_response(
        request, form, saved, saved, editing=editing, focus=focus, status=status
    )


def _builder_response(
    request: HttpRequest,
    form: FormDefinition,
    draft: FormVersion | None,
    base: FormVersion | None,
    *,
    editing: str = "",
    editor: builder_ops.FieldEditor | None = None,
    errors: dict[str, str] | None = None,
    problems: list[formschema.Problem] | None = None,
    proposed: Any = None,
    focus: str = "",
    status: str = "",
    failed: bool = False,
    op: str = "",
    target: str = "",
) -> HttpResponse:
    """The structured editor after a change (htmx), or the whole page with it
    (without JavaScript, when the change could not be made)."""
    lang = _lang()
    change_problems = [
        {"where": builder_ops.describe(proposed, p.path, lang), "message": p.message}
        for p in problems or []
    ]
    errors = dict(errors or {})
    if editor is not None and problems:
        # problems of the field being edited go next to its inputs
        path = next(
            (
                loc.path
                for loc in builder_ops.iter_fields(proposed)
                if loc.spec.get("key") == editor.key
                or loc.spec.get("key") == editor.values.get("key")
            ),
            None,
        )
        rest_problems = []
        for problem in problems:
            owner, rest = builder_ops.owner_of(problem.path)
            name = builder_ops.input_for(rest) if owner == path else ""
            if name:
                editor.errors.setdefault(name, problem.message)
            else:
                rest_problems.append(problem)
        change_problems = [
            {
                "where": builder_ops.describe(proposed, p.path, lang),
                "message": p.message,
            }
            for p in rest_problems
        ]
    if failed and not errors.get("") and not change_problems:
        errors[""] = str(_("The change was not saved: correct the marked entries."))
    context = _builder_context(
        form,
        draft,
        base,
        editing=editing,
        editor=editor,
        errors=errors,
        focus=focus or ("builder-errors" if failed else ""),
        status=status,
        failed_op=op if failed else "",
        failed_target=target,
    )
    context["change_problems"] = change_problems
    if _is_htmx(request):
        return render(request, "eforms/builder/_builder.html", context)
    versions = selectors.version_list(actor=request.user, definition=form)
    return render(
        request,
        "eforms/builder/edit.html",
        {
            **context,
            "settings_form": SettingsForm(
                initial={
                    "slug": form.slug,
                    "assurance": form.assurance,
                    "sla_days": form.sla_days,
                    "is_open": form.is_open,
                }
            ),
            "definition_form": DefinitionForm(
                initial={
                    "schema": json.dumps(
                        base.schema if base else {}, ensure_ascii=False, indent=2
                    ),
                    "note": draft.note if draft else "",
                }
            ),
            "versions": versions,
            "tab": "build",
        },
        status=400 if failed else 200,
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
