"""Running a form: reading and checking POSTed steps, the whole application,
computed values, what the templates render and the summary rows.

Application data is a JSON object keyed by field key (keys are unique in a
form, whatever their step): ``{"name": "…", "children": [{"child_name": …}],
"home": {"postal_code": "860-0001", …}, "fee": 600}``. Field paths are dotted:
``children.0.child_name``, and ``home.postal_code`` names a part of an address.
"""

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from yorisou.eforms.formschema._common import Field, FieldError, lang_of, text_in
from yorisou.eforms.formschema.definition import FormSchema, Step
from yorisou.eforms.formschema.fields import (
    PREFECTURES,
    AddressField,
    ChoiceField,
    FileField,
    GroupField,
    PostData,
)
from yorisou.eforms.formschema.logic import evaluate, truthy, variables

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    Upload: TypeAlias = UploadedFile[Any]

__all__ = [
    "BoundField",
    "ErrorLink",
    "GroupEntry",
    "Option",
    "StepResult",
    "StoreUpload",
    "SummaryRow",
    "bound_fields",
    "clean_all",
    "clean_step",
    "compute",
    "error_summary",
    "html_id",
    "join_sensitive",
    "prune",
    "split_sensitive",
    "summary",
]

#: ``store_upload(path, file) -> reference``: supplied by the service; checks
#: and stores one uploaded file and returns a small JSON reference (with a
#: ``name`` to show). It raises ``django.core.exceptions.ValidationError`` to
#: refuse a file; the message is shown at the field.
StoreUpload = Callable[[str, "Upload"], dict[str, Any]]

Errors = dict[str, list[str]]


def html_id(path: str) -> str:
    """The HTML id of the input of a field path (``children.0.name`` →
    ``f-children-0-name``); error summaries link to it."""
    return "f-" + path.replace(".", "-")


# ---------------------------------------------------------------------------
# Paths in the data
# ---------------------------------------------------------------------------


def _get(data: Any, path: str) -> Any:
    node = data
    for segment in path.split("."):
        if isinstance(node, Mapping):
            node = node.get(segment)
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        else:
            return None
    return node


def _set(data: dict[str, Any], path: str, value: Any) -> bool:
    *parents, last = path.split(".")
    node: Any = data
    for segment in parents:
        if isinstance(node, dict):
            node = node.get(segment)
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        else:
            return False
    if isinstance(node, dict):
        node[last] = value
        return True
    return False


def _context(
    root: Mapping[str, Any], entry: Mapping[str, Any] | None
) -> dict[str, Any]:
    """What a condition sees: the whole application and, inside a repeating
    group, the entry's own fields by their keys."""
    return {**root, **entry} if entry is not None else dict(root)


def _visible(
    f: Field, root: Mapping[str, Any], entry: Mapping[str, Any] | None
) -> bool:
    if f.visible_if is None:
        return True
    return truthy(f.visible_if, _context(root, entry), default=True)


def _required(
    f: Field, root: Mapping[str, Any], entry: Mapping[str, Any] | None
) -> bool:
    if f.required:
        return True
    if f.required_if is None:
        return False
    return truthy(f.required_if, _context(root, entry), default=False)


def _add(errors: Errors, path: str, message: str) -> None:
    if message and message not in errors.setdefault(path, []):
        errors[path].append(message)


# ---------------------------------------------------------------------------
# Reading a POST
# ---------------------------------------------------------------------------


def _read(
    f: Field,
    path: str,
    post: PostData,
    container: dict[str, Any],
    uploads: "Mapping[str, Sequence[Upload]]",
    store_upload: StoreUpload | None,
    errors: Errors,
) -> None:
    if not f.kind.is_input:
        return
    current = container.get(f.key)
    if isinstance(f.kind, GroupField):
        entries = current if isinstance(current, list) else []
        try:
            count = int(post.get(f"{path}._count", len(entries)))
        except (TypeError, ValueError):
            count = len(entries)
        count = max(0, min(count, f.kind.max_entries(f)))
        new_entries: list[dict[str, Any]] = []
        for index in range(count):
            old = entries[index] if index < len(entries) else None
            entry = dict(old) if isinstance(old, dict) else {}
            for child in f.fields:
                _read(
                    child,
                    f"{path}.{index}.{child.key}",
                    post,
                    entry,
                    uploads,
                    store_upload,
                    errors,
                )
            new_entries.append(entry)
        container[f.key] = new_entries
        return
    raw = f.kind.extract(f, post, path, current)
    if isinstance(f.kind, FileField):
        limit = f.kind.max_files(f)
        for upload in uploads.get(path, []):
            if store_upload is None:
                break
            if len(raw) >= limit:
                _add(
                    errors,
                    path,
                    _("Attach at most %(count)d files.") % {"count": limit},
                )
                break
            try:
                raw.append(store_upload(path, upload))
            except ValidationError as exc:
                for message in exc.messages:
                    _add(errors, path, message)
    container[f.key] = raw


# ---------------------------------------------------------------------------
# Checking values
# ---------------------------------------------------------------------------


def _check_field(
    f: Field,
    path: str,
    container: dict[str, Any],
    root: dict[str, Any],
    entry: dict[str, Any] | None,
    errors: Errors,
    *,
    write: bool,
) -> None:
    """Check (and with ``write``, normalise in place) one visible field."""
    if not f.kind.is_input or not _visible(f, root, entry):
        return
    value = container.get(f.key)
    if isinstance(f.kind, GroupField):
        entries = value if isinstance(value, list) else []
        count = len(entries)
        label = f.label()
        minimum = f.kind.min_entries(f)
        if count < minimum or (count == 0 and _required(f, root, entry)):
            if count == 0 and minimum <= 1:
                _add(errors, path, f.kind.required_message(f))
            else:
                _add(
                    errors,
                    path,
                    _("Add at least %(count)d entries to %(label)s.")
                    % {"count": minimum, "label": label},
                )
        if count > f.kind.max_entries(f):
            _add(
                errors,
                path,
                _("Enter at most %(count)d entries in %(label)s.")
                % {"count": f.kind.max_entries(f), "label": label},
            )
        for index, item in enumerate(entries):
            if not isinstance(item, dict):
                continue
            for child in f.fields:
                _check_field(
                    child,
                    f"{path}.{index}.{child.key}",
                    item,
                    root,
                    item,
                    errors,
                    write=write,
                )
            for rule in f.opt("rules") or []:
                target = f"{path}.{index}.{rule['field']}"
                if target not in errors and truthy(rule["if"], _context(root, item)):
                    _add(errors, target, text_in(rule.get("message")))
        return
    try:
        cleaned = f.kind.clean(f, value)
    except FieldError as exc:
        if exc.message:
            _add(errors, path, exc.message)
        for part, message in exc.parts.items():
            _add(errors, f"{path}.{part}", message)
        return
    if write:
        container[f.key] = cleaned
    if f.kind.is_empty(cleaned) and _required(f, root, entry):
        _add(errors, path, f.kind.required_message(f))


def _check_rules(
    schema: FormSchema, data: dict[str, Any], errors: Errors, keys: set[str]
) -> None:
    for rule in schema.rules:
        target = str(rule["field"])
        top = target.split(".")[0]
        if top not in keys or target in errors:
            continue
        try:
            target_field = schema.field(target)
        except KeyError:
            continue
        if target_field.group is None and not _visible(target_field, data, None):
            continue
        if truthy(rule["if"], data):
            _add(errors, target, text_in(rule.get("message")))


def _apply_action(
    schema: FormSchema, step: Step, data: dict[str, Any], action: str, errors: Errors
) -> str:
    """Carry out ``add:`` / ``remove:`` / ``lookup:``; returns the HTML id to
    bring into view afterwards ("" if none)."""
    verb, _sep, path = action.partition(":")
    try:
        target = schema.field(path.rsplit(".", 1)[0] if verb == "remove" else path)
    except KeyError:
        return ""
    if target.step != step.key:
        return ""
    if verb == "add" and isinstance(target.kind, GroupField):
        entries = _get(data, path)
        if not isinstance(entries, list):
            entries = []
            _set(data, path, entries)
        if len(entries) >= target.kind.max_entries(target):
            _add(
                errors,
                path,
                _("Enter at most %(count)d entries in %(label)s.")
                % {"count": target.kind.max_entries(target), "label": target.label()},
            )
            return html_id(path)
        entries.append({})
        first = next((c for c in target.fields if c.kind.is_input), None)
        index = len(entries) - 1
        return html_id(f"{path}.{index}.{first.key}") if first else html_id(path)
    if verb == "remove" and isinstance(target.kind, GroupField | FileField):
        parent, _sep, position = path.rpartition(".")
        items = _get(data, parent)
        if (
            isinstance(items, list)
            and position.isdigit()
            and int(position) < len(items)
        ):
            del items[int(position)]
        return html_id(parent)
    if verb == "lookup" and isinstance(target.kind, AddressField):
        value = _get(data, path)
        filled, message = target.kind.lookup(
            value if isinstance(value, Mapping) else {}
        )
        _set(data, path, filled)
        if message:
            _add(errors, f"{path}.postal_code", message)
            return html_id(f"{path}.postal_code")
        return html_id(f"{path}.line1")
    return ""


@dataclass
class StepResult:
    """What :func:`clean_step` made of a POST.

    ``data``: the application data with this step's values (normalised where
    they are valid, as typed where not, so the page shows them again);
    ``errors``: field path → messages; ``action``: the action carried out
    (``""`` for save and go on); ``anchor``: the HTML id to bring into view
    after an action (redirect to ``#<anchor>``). ``valid`` is true only for a
    plain save without errors: after an action the citizen stays on the step.
    """

    data: dict[str, Any]
    errors: Errors = field(default_factory=dict)
    action: str = ""
    anchor: str = ""

    @property
    def valid(self) -> bool:
        return not self.errors and not self.action


def clean_step(
    schema: FormSchema,
    step_key: str,
    post: PostData,
    data: Mapping[str, Any],
    *,
    uploads: "Mapping[str, Sequence[Upload]] | None" = None,
    store_upload: StoreUpload | None = None,
    action: str = "",
) -> StepResult:
    """Read and check the POST of one step into a copy of ``data``.

    ``action``: ``""`` (save and go on: everything on the step is checked,
    values of fields that are now hidden are dropped), or ``add:<group>``,
    ``remove:<group>.<n>``, ``remove:<file field>.<n>``, ``lookup:<address>``
    (values are kept, nothing is reported missing). Uploaded files (``uploads``:
    path → files, e.g. ``{k: request.FILES.getlist(k) for k in request.FILES}``)
    are handed to ``store_upload``.
    """
    step = schema.step(step_key)
    work: dict[str, Any] = _copy(data)
    errors: Errors = {}
    for f in step.fields:
        _read(f, f.key, post, work, uploads or {}, store_upload, errors)
    action = action.strip()
    if action:
        anchor = _apply_action(schema, step, work, action, errors)
        scratch: Errors = {}
        for f in step.fields:  # normalise what is valid; report nothing missing
            _check_field(f, f.key, work, work, None, scratch, write=True)
        work.update(_computed_top(schema, work))
        _set_nested_computed(schema, work)
        return StepResult(data=work, errors=errors, action=action, anchor=anchor)
    for f in step.fields:
        _check_field(f, f.key, work, work, None, errors, write=True)
    keys = {f.key for f in step.fields}
    _check_rules(schema, work, errors, keys)
    work = prune(schema, work)
    work.update(_computed_top(schema, work))
    _set_nested_computed(schema, work)
    return StepResult(data=work, errors=errors)


def _copy(data: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of answers (JSON-like: dicts, lists and immutable values),
    several times faster than ``copy.deepcopy``, which the submit path called
    five times per application."""
    return {key: _copy_value(value) for key, value in data.items()}


def _copy_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_value(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_copy_value(item) for item in value)
    return value


def clean_all(schema: FormSchema, data: Mapping[str, Any]) -> Errors:
    """Check the whole application again (at submission): formats, required
    fields, group sizes and rules, after dropping the values of hidden fields
    (:func:`prune`). Returns field path → messages; empty when it can be
    submitted. Store ``prune(schema, data)``, not ``data``."""
    work = prune(schema, data)
    errors: Errors = {}
    for f in schema.fields:
        _check_field(f, f.key, work, work, None, errors, write=False)
    _check_rules(schema, work, errors, {f.key for f in schema.fields})
    return errors


def prune(schema: FormSchema, data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` without the values of hidden fields (those whose
    ``visible_if`` is false, repeatedly, so that a field hidden by a hidden
    field goes too). Keys the form does not know are kept."""
    work: dict[str, Any] = _copy(data)
    for _round in range(10):
        changed = False
        for f in schema.fields:
            changed |= _prune_field(f, work, work, None)
        if not changed:
            break
    return work


def _prune_field(
    f: Field,
    container: dict[str, Any],
    root: dict[str, Any],
    entry: dict[str, Any] | None,
) -> bool:
    if not f.kind.has_value:
        return False
    if not _visible(f, root, entry):
        if f.key in container:
            del container[f.key]
            return True
        return False
    changed = False
    if isinstance(f.kind, GroupField):
        for item in container.get(f.key) or []:
            if isinstance(item, dict):
                for child in f.fields:
                    changed |= _prune_field(child, item, root, item)
    return changed


# ---------------------------------------------------------------------------
# Computed values
# ---------------------------------------------------------------------------


def _tidy_number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        return round(value, 10)
    return value


def _computed_top(schema: FormSchema, data: Mapping[str, Any]) -> dict[str, Any]:
    work = dict(data)
    values: dict[str, Any] = {}
    for f in schema.fields:
        if f.type == "computed":
            value = (
                _tidy_number(evaluate(f.opt("expression"), work))
                if _visible(f, work, None)
                else None
            )
            work[f.key] = values[f.key] = value
    return values


def _set_nested_computed(schema: FormSchema, data: dict[str, Any]) -> None:
    for f in schema.fields:
        if not isinstance(f.kind, GroupField):
            continue
        for item in data.get(f.key) or []:
            if not isinstance(item, dict):
                continue
            for child in f.fields:
                if child.type == "computed":
                    context = _context(data, item)
                    item[child.key] = (
                        _tidy_number(evaluate(child.opt("expression"), context))
                        if _visible(child, data, item)
                        else None
                    )


def compute(schema: FormSchema, data: Mapping[str, Any]) -> dict[str, Any]:
    """The computed values (path → value), e.g. ``{"fee": 600}``; inside a
    group ``children.0.age``. A value that cannot be computed (a missing input)
    is None."""
    values = _computed_top(schema, data)
    work = _copy(data)
    work.update(values)
    _set_nested_computed(schema, work)
    for f in schema.fields:
        if isinstance(f.kind, GroupField):
            for index, item in enumerate(work.get(f.key) or []):
                for child in f.fields:
                    if child.type == "computed" and isinstance(item, dict):
                        values[f"{f.key}.{index}.{child.key}"] = item.get(child.key)
    return values


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


@dataclass
class Option:
    """One option of a choice, as rendered."""

    value: str
    label: str
    id: str
    checked: bool


@dataclass
class GroupEntry:
    """One entry of a repeating group, as rendered."""

    index: int
    label: str
    id: str
    prefix: str
    fields: list["BoundField"]
    remove_action: str
    can_remove: bool


@dataclass
class BoundField:
    """A field with its value and errors, ready for ``eforms/_fields.html``.

    ``name`` is the POST name (the path), ``id`` the HTML id; ``describedby``
    joins the ids of hint, help and errors. Type-specific parts: ``options``
    (choice), ``entries`` / ``can_add`` / ``add_action`` / ``count_name``
    (group), ``parts`` / ``lookup_action`` (address), ``files`` (file:
    name and remove action of each attached file), ``masked`` (My Number
    already given), ``expression`` (computed: JSON for the browser).
    """

    path: str
    name: str
    id: str
    type: str
    template: str
    label: str
    help: str = ""
    hint: str = ""
    text: str = ""
    required: bool = False
    value: Any = ""
    display: str = ""
    errors: list[str] = field(default_factory=list)
    input_type: str = "text"
    inputmode: str = ""
    autocomplete: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)
    width: str = ""
    visible_if: str = ""
    options: list[Option] = field(default_factory=list)
    widget: str = ""
    unit: str = ""
    verified: bool = False
    readonly: bool = False
    entries: list[GroupEntry] = field(default_factory=list)
    can_add: bool = False
    add_action: str = ""
    add_label: str = ""
    count_name: str = ""
    parts: list["BoundField"] = field(default_factory=list)
    lookup_action: str = ""
    files: list[dict[str, str]] = field(default_factory=list)
    masked: str = ""
    expression: str = ""

    @property
    def key(self) -> str:
        """The field path (same as ``path``)."""
        return self.path

    @property
    def help_id(self) -> str:
        return f"{self.id}-help"

    @property
    def hint_id(self) -> str:
        return f"{self.id}-hint"

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def describedby(self) -> str:
        ids = []
        if self.hint:
            ids.append(self.hint_id)
        if self.help:
            ids.append(self.help_id)
        if self.errors:
            ids.append(self.error_id)
        return " ".join(ids)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(part.errors for part in self.parts)

    @property
    def template_name(self) -> str:
        return f"eforms/fields/{self.template}.html"


def _claim_value(f: Field, claim: Any) -> Any:
    """A prefill claim as a value of the field (None if it does not fit)."""
    if claim is None or claim == "":
        return None
    if isinstance(f.kind, ChoiceField):
        values = f.kind.values(f)
        if str(claim) in values:
            return str(claim)
        for option in f.opt("options", []):
            labels = option.get("label") or {}
            if str(claim) in (labels.get("ja"), labels.get("en")):
                return str(option["value"])
        return None
    if hasattr(claim, "isoformat"):
        claim = claim.isoformat()
    try:
        return f.kind.clean(f, claim)
    except FieldError:
        return claim if isinstance(claim, str) else None


def _bind(
    f: Field,
    path: str,
    value: Any,
    errors: Errors,
    *,
    lang: str,
    root: dict[str, Any],
    entry: dict[str, Any] | None,
    same_step: set[str],
    verified: bool = False,
) -> BoundField | None:
    kind = f.kind
    if f.visible_if is not None:
        deps = {name.split(".")[0] for name in variables(f.visible_if)}
        if not deps & same_step and not _visible(f, root, entry):
            return None  # decided by earlier steps: not asked
    bound = BoundField(
        path=path,
        name=path,
        id=html_id(path),
        type=f.type,
        template=kind.template,
        label=f.label(lang),
        help=f.help(lang),
        hint=kind.hint(f),
        required=_required(f, root, entry),
        errors=list(errors.get(path, [])),
        input_type=kind.input_type,
        inputmode=kind.inputmode,
        autocomplete=str(f.opt("autocomplete") or kind.autocomplete),
        attrs=kind.attrs(f),
        width=str(f.opt("width") or ""),
        visible_if=(
            json.dumps(f.visible_if, ensure_ascii=False)
            if f.visible_if is not None
            else ""
        ),
        value=kind.widget_value(f, value, lang=lang),
        display=kind.display(f, value, lang=lang, mask=True),
        unit=text_in(f.opt("unit"), lang),
        text=text_in(f.opt("text"), lang),
    )
    if "inputmode" in bound.attrs:
        bound.inputmode = str(bound.attrs.pop("inputmode"))
    if verified:
        bound.verified = True
        bound.readonly = f.type in ("text", "date", "email", "phone")
    if isinstance(kind, ChoiceField):
        chosen = value if isinstance(value, list) else [value]
        bound.widget = kind.widget(f)
        bound.options = [
            Option(
                value=str(option["value"]),
                label=text_in(option.get("label"), lang),
                id=f"{bound.id}-{index}",
                checked=str(option["value"]) in chosen,
            )
            for index, option in enumerate(f.opt("options", []))
        ]
    elif isinstance(kind, AddressField):
        parts = kind.widget_value(f, value, lang=lang)
        bound.lookup_action = f"lookup:{path}"
        for part in kind.PARTS:
            part_path = f"{path}.{part}"
            part_bound = BoundField(
                path=part_path,
                name=part_path,
                id=html_id(part_path),
                type="text",
                template="text",
                label=kind.part_label(part),
                required=f.required and part in kind.REQUIRED_PARTS,
                value=parts[part],
                errors=list(errors.get(part_path, [])),
                autocomplete=kind.AUTOCOMPLETE[part],
                inputmode="numeric" if part == "postal_code" else "",
                width="short" if part == "postal_code" else "",
            )
            if part == "prefecture":
                part_bound.widget = "select"
                part_bound.options = [
                    Option(p, p, f"{part_bound.id}-{i}", p == parts[part])
                    for i, p in enumerate(PREFECTURES)
                ]
            if part == "postal_code":
                part_bound.hint = _("7 digits, such as 860-0001.")
                part_bound.attrs = {"maxlength": 8}
            bound.parts.append(part_bound)
    elif isinstance(kind, FileField):
        refs = value if isinstance(value, list) else []
        bound.files = [
            {"name": kind.file_name(ref), "remove_action": f"remove:{path}.{index}"}
            for index, ref in enumerate(refs)
            if isinstance(ref, Mapping)
        ]
        bound.can_add = len(refs) < kind.max_files(f)
    elif f.type == "mynumber":
        if isinstance(value, str) and len(value) == 12 and value.isdigit():
            bound.masked = kind.display(f, value, lang=lang, mask=True)
    elif f.type == "computed":
        bound.expression = json.dumps(f.opt("expression"), ensure_ascii=False)
    elif isinstance(kind, GroupField):
        entries = value if isinstance(value, list) else []
        group_keys = same_step | {child.key for child in f.fields}
        for index, item in enumerate(entries):
            item = item if isinstance(item, dict) else {}
            prefix = f"{path}.{index}."
            children = [
                _bind(
                    child,
                    f"{prefix}{child.key}",
                    item.get(child.key),
                    errors,
                    lang=lang,
                    root=root,
                    entry=item,
                    same_step=group_keys,
                )
                for child in f.fields
            ]
            bound.entries.append(
                GroupEntry(
                    index=index,
                    label=kind.entry_label(f, index, lang),
                    id=html_id(f"{path}.{index}"),
                    prefix=prefix,
                    fields=[c for c in children if c is not None],
                    remove_action=f"remove:{path}.{index}",
                    can_remove=len(entries) > kind.min_entries(f),
                )
            )
        bound.count_name = f"{path}._count"
        bound.can_add = len(entries) < kind.max_entries(f)
        bound.add_action = f"add:{path}"
        bound.add_label = text_in(f.opt("add_label"), lang) or (
            _("Add %(label)s")
            % {"label": text_in(f.opt("item_label"), lang) or bound.label}
        )
    return bound


def bound_fields(
    schema: FormSchema,
    step_key: str,
    data: Mapping[str, Any],
    errors: Mapping[str, list[str]],
    *,
    lang: str,
    prefill: Mapping[str, Any] | None = None,
    verified: frozenset[str] | set[str] = frozenset(),
) -> list[BoundField]:
    """The fields of a step as the template ``eforms/_fields.html`` renders
    them. Empty fields with a ``prefill`` key take the value of that claim
    (``prefill``: ``name``, ``address``, ``birthdate``, ``gender``, ``email``);
    a field whose prefill key is in ``verified`` is marked verified (and read
    only for text and dates). Fields hidden by answers on earlier steps are
    left out; fields that depend on this step's answers carry ``visible_if``
    for the browser."""
    lang = lang_of(lang)
    step = schema.step(step_key)
    root: dict[str, Any] = _copy(data)
    root.update(_computed_top(schema, root))
    _set_nested_computed(schema, root)
    same_step = {f.key for top in step.fields for f in top.walk()}
    claims = prefill or {}
    result: list[BoundField] = []
    errs = {path: list(messages) for path, messages in errors.items()}
    with translation.override(lang):
        for f in step.fields:
            value = root.get(f.key)
            is_verified = False
            if f.prefill and f.prefill in claims:
                claim = _claim_value(f, claims[f.prefill])
                if f.kind.is_empty(value) and claim is not None:
                    value = claim
                is_verified = (
                    f.prefill in verified and claim is not None and (value == claim)
                )
            bound = _bind(
                f,
                f.key,
                value,
                errs,
                lang=lang,
                root=root,
                entry=None,
                same_step=same_step,
                verified=is_verified,
            )
            if bound is not None:
                result.append(bound)
    return result


@dataclass
class ErrorLink:
    """One line of an error summary: what is wrong and where (``#id``)."""

    path: str
    id: str
    label: str
    message: str

    @property
    def text(self) -> str:
        if not self.label:
            return self.message
        return (
            f"{self.label}：{self.message}"
            if lang_of() == "ja"
            else (f"{self.label}: {self.message}")
        )


def error_summary(
    schema: FormSchema, errors: Mapping[str, list[str]], *, lang: str
) -> list[ErrorLink]:
    """The errors as links to their fields, in the order of the form, for
    ``eforms/fields/_error_summary.html``."""
    lang = lang_of(lang)
    order = {key: index for index, key in enumerate(f.key for f in schema.all_fields())}
    links: list[ErrorLink] = []
    with translation.override(lang):
        for path, messages in errors.items():
            try:
                f = schema.field(path)
            except KeyError:
                f = None
            label = f.label(lang) if f is not None else ""
            segments = path.split(".")
            if (
                f is not None
                and isinstance(f.kind, AddressField)
                and (segments[-1] in AddressField.PARTS)
            ):
                part = f.kind.part_label(segments[-1])
                label = f"{label}（{part}）" if lang == "ja" else f"{label} ({part})"
            if f is not None and f.group is not None and len(segments) >= 3:
                group = schema.field(segments[0])
                entry = GroupField().entry_label(group, int(segments[1]), lang)
                label = f"{entry}：{label}" if lang == "ja" else f"{entry}: {label}"
            anchor = path
            if (
                f is not None
                and isinstance(f.kind, AddressField)
                and path.endswith(f.key)
            ):
                anchor = f"{path}.postal_code"
            if (
                f is not None
                and isinstance(f.kind, ChoiceField)
                and f.kind.widget(f) != "select"
            ):
                links.extend(
                    ErrorLink(path, f"{html_id(anchor)}-0", label, m) for m in messages
                )
                continue
            links.extend(ErrorLink(path, html_id(anchor), label, m) for m in messages)
    links.sort(key=lambda link: _order_key(link.path, order))
    return links


def _order_key(path: str, order: Mapping[str, int]) -> tuple[int, ...]:
    keys = [order.get(s, 0) if not s.isdigit() else int(s) for s in path.split(".")]
    return tuple(keys)


# ---------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------


@dataclass
class SummaryRow:
    """A row of the application summary. ``kind``: ``"field"``, ``"group"``
    (a repeating group's heading) or ``"entry"`` (one entry's heading);
    ``level`` 1 for fields inside a group. ``value`` is ``""`` when the
    question was not answered."""

    step_key: str
    step_title: str
    path: str
    label: str
    value: str
    kind: str = "field"
    level: int = 0
    type: str = ""
    verified: bool = False

    @property
    def step(self) -> str:
        """The step's title (to ``{% regroup rows by step %}``)."""
        return self.step_title


def _summary_rows(
    f: Field,
    path: str,
    container: Mapping[str, Any],
    root: dict[str, Any],
    entry: dict[str, Any] | None,
    step: Step,
    lang: str,
    mask: bool,
    level: int,
) -> Iterator[SummaryRow]:
    if not f.kind.has_value or not _visible(f, root, entry):
        return
    value = container.get(f.key)
    title = step.title(lang)
    if isinstance(f.kind, GroupField):
        entries = (
            [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []
        )
        yield SummaryRow(
            step.key, title, path, f.label(lang),
            f.kind.display(f, entries, lang=lang, mask=mask), "group", level, f.type,
        )  # fmt: skip
        for index, item in enumerate(entries):
            entry_path = f"{path}.{index}"
            yield SummaryRow(
                step.key, title, entry_path, f.kind.entry_label(f, index, lang),
                "", "entry", level, f.type,
            )  # fmt: skip
            for child in f.fields:
                yield from _summary_rows(
                    child, f"{entry_path}.{child.key}", item, root, item, step, lang,
                    mask, level + 1,
                )  # fmt: skip
        return
    yield SummaryRow(
        step.key, title, path, f.label(lang),
        f.kind.display(f, value, lang=lang, mask=mask), "field", level, f.type,
    )  # fmt: skip


def summary(
    schema: FormSchema, data: Mapping[str, Any], *, lang: str, mask: bool = True
) -> list[SummaryRow]:
    """The application as label / value rows, step by step, without hidden
    fields and with computed values; My Number masked unless ``mask=False``."""
    lang = lang_of(lang)
    work = prune(schema, data)
    work.update(_computed_top(schema, work))
    _set_nested_computed(schema, work)
    rows: list[SummaryRow] = []
    with translation.override(lang):
        for step in schema.steps:
            for f in step.fields:
                rows.extend(
                    _summary_rows(f, f.key, work, work, None, step, lang, mask, 0)
                )
    return rows


# ---------------------------------------------------------------------------
# My Number apart
# ---------------------------------------------------------------------------


def _sensitive_paths(schema: FormSchema, data: Mapping[str, Any]) -> list[str]:
    paths: list[str] = []
    for f in schema.fields:
        if f.kind.sensitive:
            paths.append(f.key)
        elif isinstance(f.kind, GroupField):
            for index, item in enumerate(data.get(f.key) or []):
                if isinstance(item, dict):
                    paths.extend(
                        f"{f.key}.{index}.{child.key}"
                        for child in f.fields
                        if child.kind.sensitive
                    )
    return paths


def split_sensitive(
    schema: FormSchema, data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """``(data without My Numbers, {path: 12 digits})``: the service encrypts
    the second and stores it apart; :func:`join_sensitive` puts them back."""
    without: dict[str, Any] = _copy(data)
    secrets: dict[str, str] = {}
    for path in _sensitive_paths(schema, without):
        value = _get(without, path)
        *parents, last = path.split(".")
        container = _get(without, ".".join(parents)) if parents else without
        if isinstance(container, dict) and last in container:
            del container[last]
        if isinstance(value, str) and value:
            secrets[path] = value
    return without, secrets


def join_sensitive(
    data_without: Mapping[str, Any], secrets: Mapping[str, str]
) -> dict[str, Any]:
    """The application data with the My Numbers of :func:`split_sensitive`."""
    joined: dict[str, Any] = _copy(data_without)
    for path, value in secrets.items():
        _set(joined, path, value)
    return joined
