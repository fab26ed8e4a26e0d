"""Edits of a form definition for the structured form builder.

Pure functions on a definition dict (the JSON described in
:mod:`yorisou.eforms.formschema`): each takes a definition and returns a changed
deep copy, or raises :class:`EditError` with messages keyed by the name of the
input they concern. They never save anything: the builder view hands the result to
``services.form_version_save``, which validates it again, saves it as the draft
version and audits the change.

Steps and fields are addressed by their keys (unique in the whole definition), so
that a change never lands on the wrong field when the page was out of date.
"""

import copy
import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yorisou.eforms.formschema import Problem
from yorisou.eforms.formschema.definition import KEY_PATTERN
from yorisou.eforms.formschema.fields import half_width

Definition = dict[str, Any]
Spec = dict[str, Any]


class PostData(Protocol):
    """A POST (Django's ``QueryDict`` fits)."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...


class EditError(ValueError):
    """A change cannot be made; ``errors`` maps input names (``""`` for the
    change as a whole) to messages."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


@dataclass(frozen=True)
class FieldKind:
    """A field type as the builder offers it."""

    type_id: str
    name: Any  # lazy translation
    description: Any
    in_group: bool = True


#: The field types in the order the builder offers them, with plain descriptions.
FIELD_KINDS: tuple[FieldKind, ...] = (
    FieldKind(
        "text",
        gettext_lazy("Text"),
        gettext_lazy("One line: a name, a title, a short answer."),
    ),
    FieldKind(
        "textarea",
        gettext_lazy("Long text"),
        gettext_lazy("Several lines: a reason, a description, remarks."),
    ),
    FieldKind(
        "number",
        gettext_lazy("Number"),
        gettext_lazy("A number, such as a count or an amount, with a unit."),
    ),
    FieldKind(
        "date",
        gettext_lazy("Date"),
        gettext_lazy("A date; people may write 令和 dates or 2023-04-01."),
    ),
    FieldKind(
        "choice",
        gettext_lazy("Choice"),
        gettext_lazy("Pick one (or several) from a list of options."),
    ),
    FieldKind(
        "checkbox",
        gettext_lazy("Check box"),
        gettext_lazy("One box to tick, such as “I agree”."),
    ),
    FieldKind(
        "address",
        gettext_lazy("Address"),
        gettext_lazy("A Japanese address, filled in from the postal code."),
    ),
    FieldKind(
        "phone",
        gettext_lazy("Telephone"),
        gettext_lazy("A telephone number, checked and stored in one format."),
    ),
    FieldKind(
        "email",
        gettext_lazy("Email"),
        gettext_lazy("An email address."),
    ),
    FieldKind(
        "file",
        gettext_lazy("File"),
        gettext_lazy("Attach documents or photos (PDF, images …)."),
    ),
    FieldKind(
        "mynumber",
        gettext_lazy("My Number"),
        gettext_lazy("The 12-digit individual number; stored encrypted."),
    ),
    FieldKind(
        "group",
        gettext_lazy("Repeating group"),
        gettext_lazy("The same questions for each child, each member …"),
        in_group=False,
    ),
    FieldKind(
        "computed",
        gettext_lazy("Computed value"),
        gettext_lazy("Worked out from other answers, such as a fee. Read only."),
    ),
    FieldKind(
        "static",
        gettext_lazy("Guidance text"),
        gettext_lazy("A paragraph of explanation. Asks nothing."),
    ),
)
KINDS_BY_ID = {kind.type_id: kind for kind in FIELD_KINDS}

#: Labels a new field starts with (definition texts: always Japanese and English).
DEFAULT_LABELS: dict[str, dict[str, str]] = {
    "text": {"ja": "新しい項目", "en": "New question"},
    "textarea": {"ja": "新しい項目（複数行）", "en": "New question (long answer)"},
    "number": {"ja": "数量", "en": "Number"},
    "date": {"ja": "日付", "en": "Date"},
    "choice": {"ja": "選択してください", "en": "Choose one"},
    "checkbox": {"ja": "確認", "en": "Confirmation"},
    "address": {"ja": "住所", "en": "Address"},
    "phone": {"ja": "電話番号", "en": "Telephone number"},
    "email": {"ja": "メールアドレス", "en": "Email address"},
    "file": {"ja": "添付書類", "en": "Attached documents"},
    "mynumber": {"ja": "個人番号", "en": "My Number"},
    "group": {"ja": "繰り返し項目", "en": "Repeating group"},
    "computed": {"ja": "計算結果", "en": "Computed value"},
    "static": {"ja": "", "en": ""},
}

#: Options that belong to a field's type (dropped when the type changes).
ALL_TYPE_OPTIONS = frozenset(
    {"options", "widget", "multiple", "min", "max", "decimals", "unit", "text"}
    | {"max_length", "min_length", "kana", "rows", "accept", "fields"}
    | {"item_label", "add_label", "expression", "rules", "pattern"}
    | {"pattern_message"}
)
PREFILL_CHOICES = ("name", "address", "birthdate", "gender", "email")


# --- reading a definition ------------------------------------------------------------


@dataclass
class Located:
    """Where a field is: its list, its index there, the step and (for a field
    inside a repeating group) the group."""

    container: list[Spec]
    index: int
    step_index: int
    group: Spec | None
    path: str  # steps.0.fields.2 or steps.0.fields.2.fields.1

    @property
    def spec(self) -> Spec:
        return self.container[self.index]


def iter_fields(definition: Mapping[str, Any]) -> Iterator[Located]:
    """Every field with its place (nested ones after their group)."""
    for step_index, step in enumerate(definition.get("steps") or []):
        fields = step.get("fields") or []
        for index, spec in enumerate(fields):
            path = f"steps.{step_index}.fields.{index}"
            yield Located(fields, index, step_index, None, path)
            if spec.get("type") == "group":
                children = spec.get("fields") or []
                for child_index in range(len(children)):
                    yield Located(
                        children,
                        child_index,
                        step_index,
                        spec,
                        f"{path}.fields.{child_index}",
                    )


def find_field(definition: Mapping[str, Any], key: str) -> Located:
    for located in iter_fields(definition):
        if located.spec.get("key") == key:
            return located
    raise EditError({"": _("This field no longer exists. Reload the page.")})


def step_index(definition: Mapping[str, Any], key: str) -> int:
    for index, step in enumerate(definition.get("steps") or []):
        if step.get("key") == key:
            return index
    raise EditError({"": _("This step no longer exists. Reload the page.")})


def all_keys(definition: Mapping[str, Any]) -> set[str]:
    keys = {str(loc.spec.get("key")) for loc in iter_fields(definition)}
    return keys | {str(s.get("key")) for s in definition.get("steps") or []}


def text_of(value: Any, lang: str) -> str:
    if isinstance(value, str):
        return value if lang == "ja" else ""
    if isinstance(value, Mapping):
        text = value.get(lang)
        return text if isinstance(text, str) else ""
    return ""


def display_text(value: Any, lang: str) -> str:
    """A definition text in ``lang``, or the Japanese one."""
    return text_of(value, lang) or text_of(value, "ja")


# --- small helpers -------------------------------------------------------------------


def suggest_key(text: str, taken: set[str], fallback: str = "field") -> str:
    """A key made from (English) text, unique among ``taken``:
    ``"Child's name"`` → ``child_s_name``."""
    base = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40].strip("_")
    if not base or not base[0].isalpha():
        base = fallback if not base else f"{fallback}_{base}"[:40]
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}_{number}"
        number += 1
    return candidate


def _text(ja: str, en: str) -> dict[str, str] | None:
    ja, en = ja.strip(), en.strip()
    if not ja and not en:
        return None
    return {"ja": ja, "en": en} if en else {"ja": ja}


def _set(spec: Spec, name: str, value: Any) -> None:
    if value is None or value == "" or value is False:
        spec.pop(name, None)
    else:
        spec[name] = value


def _number(
    text: str, name: str, errors: dict[str, str], *, whole: bool = False
) -> int | float | None:
    text = half_width(text or "").replace(",", "").strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        errors[name] = _("Enter a number.")
        return None
    if not number.is_finite():
        errors[name] = _("Enter a number.")
        return None
    if number == number.to_integral_value():
        return int(number)
    if whole:
        errors[name] = _("Enter a whole number.")
        return None
    return float(number)


def _move(items: list[Any], index: int, delta: int) -> None:
    target = index + delta
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]


def _rename_vars(node: Any, old: str, new: str) -> Any:
    """``{"var": old…}`` references renamed (conditions, expressions)."""
    if isinstance(node, list):
        return [_rename_vars(item, old, new) for item in node]
    if isinstance(node, dict):
        if len(node) == 1 and "var" in node:
            args = node["var"]
            name = args[0] if isinstance(args, list) and args else args
            if isinstance(name, str) and (name == old or name.startswith(old + ".")):
                renamed = new + name[len(old) :]
                if isinstance(args, list):
                    return {"var": [renamed, *args[1:]]}
                return {"var": renamed}
            return node
        return {k: _rename_vars(v, old, new) for k, v in node.items()}
    return node


def rename_references(definition: Definition, old: str, new: str) -> None:
    """Conditions, expressions and rules that name field ``old`` follow it to
    ``new`` (in place)."""

    def fix_rules(rules: Any) -> None:
        for rule in rules if isinstance(rules, list) else []:
            if isinstance(rule, dict):
                if "if" in rule:
                    rule["if"] = _rename_vars(rule["if"], old, new)
                target = rule.get("field")
                if isinstance(target, str) and (
                    target == old or target.startswith(old + ".")
                ):
                    rule["field"] = new + target[len(old) :]

    for located in iter_fields(definition):
        spec = located.spec
        for name in ("visible_if", "required_if", "expression"):
            if name in spec:
                spec[name] = _rename_vars(spec[name], old, new)
        if spec.get("type") == "group":
            fix_rules(spec.get("rules"))
    fix_rules(definition.get("rules"))


# --- new definitions, steps and fields ------------------------------------------------


def new_field(type_id: str, taken: set[str]) -> Spec:
    """A valid field of ``type_id`` with a fresh key and starting options."""
    if type_id not in KINDS_BY_ID:
        raise EditError({"type": _("Choose a type of field.")})
    key = suggest_key(type_id, taken)
    taken.add(key)
    spec: Spec = {"key": key, "type": type_id}
    label = DEFAULT_LABELS[type_id]
    if label["ja"]:
        spec["label"] = dict(label)
    spec.update(_type_defaults(type_id, taken))
    return spec


def _type_defaults(type_id: str, taken: set[str]) -> Spec:
    if type_id == "choice":
        return {
            "options": [
                {"value": "yes", "label": {"ja": "はい", "en": "Yes"}},
                {"value": "no", "label": {"ja": "いいえ", "en": "No"}},
            ]
        }
    if type_id == "computed":
        return {"expression": 0}
    if type_id == "static":
        return {
            "text": {
                "ja": "ここに案内文を書いてください。",
                "en": "Write the guidance here.",
            }
        }
    if type_id == "checkbox":
        return {
            "text": {"ja": "上記の内容に同意します。", "en": "I agree to the above."}
        }
    if type_id == "group":
        return {"min": 1, "max": 10, "fields": [new_field("text", taken)]}
    return {}


def new_definition(title: str) -> Definition:
    """A first definition for a form that has none: one step with one question."""
    definition: Definition = {
        "schema": 1,
        "title": {"ja": title or "申請書"},
        "steps": [],
    }
    step: Spec = {
        "key": "step_1",
        "title": {"ja": "申請内容", "en": "Application"},
        "fields": [new_field("text", {"step_1"})],
    }
    definition["steps"].append(step)
    return definition


def update_form(definition: Mapping[str, Any], post: PostData) -> Definition:
    """The form's title and introduction."""
    result = copy.deepcopy(dict(definition))
    title = _text(post.get("title_ja", ""), post.get("title_en", ""))
    if not title or not title.get("ja"):
        raise EditError({"title_ja": _("Enter the title in Japanese.")})
    result["title"] = title
    _set(result, "intro", _text(post.get("intro_ja", ""), post.get("intro_en", "")))
    return result


def add_step(
    definition: Mapping[str, Any], post: PostData
) -> tuple[Definition, str, str]:
    """A new step at the end, with a first field of the chosen type; returns the
    definition, the step key and the field key."""
    result = copy.deepcopy(dict(definition))
    title = _text(post.get("title_ja", ""), post.get("title_en", ""))
    if not title or not title.get("ja"):
        raise EditError({"title_ja": _("Enter the title in Japanese.")})
    taken = all_keys(result)
    key = suggest_key(title.get("en", ""), taken, "step")
    taken.add(key)
    first = new_field(post.get("type") or "text", taken)
    result.setdefault("steps", []).append(
        {"key": key, "title": title, "fields": [first]}
    )
    return result, key, first["key"]


def update_step(definition: Mapping[str, Any], key: str, post: PostData) -> Definition:
    result = copy.deepcopy(dict(definition))
    step = result["steps"][step_index(result, key)]
    title = _text(post.get("title_ja", ""), post.get("title_en", ""))
    if not title or not title.get("ja"):
        raise EditError({"title_ja": _("Enter the title in Japanese.")})
    step["title"] = title
    _set(step, "intro", _text(post.get("intro_ja", ""), post.get("intro_en", "")))
    return result


def move_step(definition: Mapping[str, Any], key: str, delta: int) -> Definition:
    result = copy.deepcopy(dict(definition))
    _move(result["steps"], step_index(result, key), delta)
    return result


def delete_step(definition: Mapping[str, Any], key: str) -> Definition:
    result = copy.deepcopy(dict(definition))
    index = step_index(result, key)
    if len(result["steps"]) == 1:
        raise EditError({"": _("A form needs at least one step.")})
    del result["steps"][index]
    return result


def add_field(
    definition: Mapping[str, Any],
    type_id: str,
    *,
    step: str,
    group: str = "",
    after: str = "",
) -> tuple[Definition, str]:
    """A new field of ``type_id`` at the end of a step (or of a repeating group);
    returns the definition and the new field's key."""
    result = copy.deepcopy(dict(definition))
    if not type_id:
        raise EditError({"type": _("Choose a type of field.")})
    taken = all_keys(result)
    spec = new_field(type_id, taken)
    if group:
        located = find_field(result, group)
        if located.spec.get("type") != "group":
            raise EditError({"": _("This field is not a repeating group.")})
        if type_id == "group":
            raise EditError({"type": _("A group cannot contain another group.")})
        container = located.spec.setdefault("fields", [])
    else:
        container = result["steps"][step_index(result, step)].setdefault("fields", [])
    container.append(spec)
    return result, spec["key"]


def move_field(definition: Mapping[str, Any], key: str, delta: int) -> Definition:
    result = copy.deepcopy(dict(definition))
    located = find_field(result, key)
    _move(located.container, located.index, delta)
    return result


def delete_field(definition: Mapping[str, Any], key: str) -> Definition:
    result = copy.deepcopy(dict(definition))
    located = find_field(result, key)
    if len(located.container) == 1:
        raise EditError(
            {
                "": _(
                    "This is the only field here. Add another one first, or "
                    "delete the whole step."
                )
                if located.group is None
                else _("A repeating group needs at least one field.")
            }
        )
    del located.container[located.index]
    return result


# --- simple conditions ----------------------------------------------------------------

CONDITION_OPERATORS = ("is", "not", "in")


@dataclass
class SimpleCondition:
    """“Show only when [field] [is / is not / is one of] [values]”."""

    field: str = ""
    operator: str = "is"
    values: list[Any] = dataclasses.field(default_factory=list)


def parse_condition(logic: Any) -> SimpleCondition | None:
    """The simple form of a ``visible_if`` that the builder wrote (or that has the
    same shape); None for anything else."""
    if not isinstance(logic, dict) or len(logic) != 1:
        return None
    operator, args = next(iter(logic.items()))

    def var(node: Any) -> str | None:
        if isinstance(node, dict) and len(node) == 1 and "var" in node:
            name = node["var"]
            if isinstance(name, list) and name:
                name = name[0]
            return name if isinstance(name, str) and name else None
        return None

    if operator in ("==", "===", "!=", "!==") and isinstance(args, list):
        if len(args) == 2 and var(args[0]) and not isinstance(args[1], dict | list):
            name = var(args[0])
            assert name is not None
            return SimpleCondition(
                name, "is" if operator in ("==", "===") else "not", [args[1]]
            )
        return None
    if operator == "in" and isinstance(args, list) and len(args) == 2:
        name = var(args[0])
        if (
            name
            and isinstance(args[1], list)
            and all(not isinstance(v, dict | list) for v in args[1])
        ):
            return SimpleCondition(name, "in", list(args[1]))
        name = var(args[1])
        if name and not isinstance(args[0], dict | list):  # a multiple choice
            return SimpleCondition(name, "is", [args[0]])
        return None
    if operator == "!":
        inner = args[0] if isinstance(args, list) and len(args) == 1 else args
        name = var(inner)
        if name:
            return SimpleCondition(name, "is", [False])
        nested = parse_condition(inner)
        if nested and nested.operator in ("is", "in"):
            return SimpleCondition(nested.field, "not", nested.values)
        return None
    if operator == "!!":
        inner = args[0] if isinstance(args, list) and len(args) == 1 else args
        name = var(inner)
        return SimpleCondition(name, "is", [True]) if name else None
    return None


def condition_logic(condition: SimpleCondition, target: Mapping[str, Any]) -> Any:
    """JSON Logic for a simple condition on the field ``target``."""
    ref = {"var": condition.field}
    values = list(condition.values)
    if target.get("type") == "checkbox":
        wanted = bool(values and values[0] is True)
        if condition.operator == "not":
            wanted = not wanted
        return {"!!": [ref]} if wanted else {"!": [ref]}
    several = condition.operator == "in" or len(values) > 1
    if target.get("type") == "choice" and target.get("multiple"):
        # the value is a list of the options chosen
        if several:
            logic: Any = {"some": [ref, {"in": [{"var": ""}, values]}]}
        else:
            logic = {"in": [values[0], ref]}
        return {"!": [logic]} if condition.operator == "not" else logic
    if several:
        logic = {"in": [ref, values]}
        return {"!": [logic]} if condition.operator == "not" else logic
    return {"!=" if condition.operator == "not" else "==": [ref, values[0]]}


def condition_candidates(definition: Mapping[str, Any], key: str) -> list[Located]:
    """The fields a field's visibility may depend on: fields with a value, other
    than itself and its own children; inside a group also its siblings."""
    own = find_field(definition, key)
    found: list[Located] = []
    for located in iter_fields(definition):
        spec = located.spec
        if spec.get("key") == key or spec.get("type") in ("static", "group"):
            continue
        if located.group is not None and located.group is not own.group:
            continue
        found.append(located)
    return found


# --- editing a field ------------------------------------------------------------------


@dataclass
class OptionRow:
    value: str = ""
    ja: str = ""
    en: str = ""


@dataclass
class FieldEditor:
    """The values shown in a field's edit form (from the definition, or as
    posted when there were errors)."""

    key: str
    type: str
    values: dict[str, Any]
    options: list[OptionRow]
    condition: SimpleCondition
    visibility: str  # always / simple / logic
    errors: dict[str, str] = dataclasses.field(default_factory=dict)


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def editor_for(spec: Mapping[str, Any]) -> FieldEditor:
    """The edit form's values of a field as it is defined."""
    values: dict[str, Any] = {
        "key": spec.get("key", ""),
        "type": spec.get("type", ""),
        "required": bool(spec.get("required")),
        "prefill": spec.get("prefill") or "",
    }
    for name in ("label", "help", "unit", "text", "item_label", "add_label"):
        values[f"{name}_ja"] = text_of(spec.get(name), "ja")
        values[f"{name}_en"] = text_of(spec.get(name), "en")
    for name in ("min", "max", "max_length", "min_length", "rows", "decimals"):
        values[name] = _fmt(spec.get(name))
    values["kana"] = bool(spec.get("kana"))
    values["multiple"] = bool(spec.get("multiple"))
    values["widget"] = spec.get("widget") or ""
    accept = spec.get("accept")
    values["accept"] = ", ".join(accept) if isinstance(accept, list) else ""
    values["expression"] = (
        json.dumps(spec["expression"], ensure_ascii=False)
        if "expression" in spec
        else ""
    )
    logic = spec.get("visible_if")
    values["visible_if_json"] = (
        json.dumps(logic, ensure_ascii=False, indent=1) if logic is not None else ""
    )
    options = [
        OptionRow(
            str(option.get("value", "")),
            text_of(option.get("label"), "ja"),
            text_of(option.get("label"), "en"),
        )
        for option in spec.get("options") or []
        if isinstance(option, Mapping)
    ]
    simple = parse_condition(logic) if logic is not None else None
    visibility = "always" if logic is None else ("simple" if simple else "logic")
    return FieldEditor(
        key=str(spec.get("key", "")),
        type=str(spec.get("type", "")),
        values=values,
        options=options,
        condition=simple or SimpleCondition(),
        visibility=visibility,
    )


SCALAR_INPUTS = (
    "key",
    "type",
    "prefill",
    "label_ja",
    "label_en",
    "help_ja",
    "help_en",
    "unit_ja",
    "unit_en",
    "text_ja",
    "text_en",
    "item_label_ja",
    "item_label_en",
    "add_label_ja",
    "add_label_en",
    "min",
    "max",
    "max_length",
    "min_length",
    "rows",
    "decimals",
    "widget",
    "accept",
    "expression",
    "visible_if_json",
)
FLAG_INPUTS = ("required", "kana", "multiple")


def editor_from_post(key: str, post: PostData) -> FieldEditor:
    """The edit form's values as posted (to show them again with errors)."""
    values: dict[str, Any] = {name: post.get(name, "") for name in SCALAR_INPUTS}
    for name in FLAG_INPUTS:
        values[name] = bool(post.get(name))
    rows = _option_rows(post)
    return FieldEditor(
        key=key,
        type=str(values["type"]),
        values=values,
        options=[row for row in rows if row.value or row.ja or row.en],
        condition=_posted_condition(post),
        visibility=visibility_of(post),
    )


def visibility_of(post: PostData) -> str:
    """How the edit form sets the field's visibility: ``logic`` (the JSON Logic
    box, when ticked), ``simple`` (a field chosen) or ``always``."""
    if post.get("use_logic"):
        return "logic"
    return "simple" if post.get("cond_field") else "always"


def _option_rows(post: PostData) -> list[OptionRow]:
    values = post.getlist("opt_value")
    ja = post.getlist("opt_ja")
    en = post.getlist("opt_en")
    count = max(len(values), len(ja), len(en))

    def at(items: list[Any], index: int) -> str:
        return str(items[index]).strip() if index < len(items) else ""

    return [OptionRow(at(values, i), at(ja, i), at(en, i)) for i in range(count)]


def _posted_condition(post: PostData) -> SimpleCondition:
    chosen = [str(v) for v in post.getlist("cond_values") if str(v)]
    text = str(post.get("cond_value", "") or "").strip()
    values: list[Any] = chosen or [
        part.strip() for part in re.split(r"[,、，]", text) if part.strip()
    ]
    return SimpleCondition(
        field=str(post.get("cond_field", "") or ""),
        operator=str(post.get("cond_op", "") or "is"),
        values=values,
    )


@dataclass
class FieldUpdate:
    """The result of :func:`update_field`."""

    definition: Definition
    key: str
    type_changed: bool = False


def update_field(
    definition: Mapping[str, Any], key: str, post: PostData
) -> FieldUpdate:
    """A field changed as its edit form was posted. The sub-action ``sub``
    (``option_remove:N``, ``option_up:N``, ``option_down:N``) is applied to the
    choice options as well."""
    result = copy.deepcopy(dict(definition))
    located = find_field(result, key)
    spec = located.spec
    old_type = str(spec.get("type"))
    new_type = str(post.get("type") or old_type)
    errors: dict[str, str] = {}
    if new_type not in KINDS_BY_ID:
        raise EditError({"type": _("Choose a type of field.")})
    if new_type == "group" and located.group is not None:
        raise EditError({"type": _("A group cannot contain another group.")})

    # the key: empty → made from the English label
    taken = all_keys(result) - {key}
    new_key = str(post.get("key") or "").strip()
    if not new_key:
        new_key = suggest_key(str(post.get("label_en") or ""), taken, fallback=new_type)
    if not KEY_PATTERN.fullmatch(new_key):
        errors["key"] = _(
            "Use 1–63 lower-case letters (a–z), digits and underscores, starting "
            "with a letter, such as child_name."
        )
    elif new_key in taken:
        errors["key"] = _("This key is already used in this form.")

    label = _text(post.get("label_ja", ""), post.get("label_en", ""))
    if new_type != "static" and not (label and label.get("ja")):
        errors["label_ja"] = _("Enter the label in Japanese.")
    _set(spec, "label", label)
    _set(spec, "help", _text(post.get("help_ja", ""), post.get("help_en", "")))
    if new_type not in ("static", "computed"):
        _set(spec, "required", bool(post.get("required")))
    prefill = str(post.get("prefill") or "")
    if prefill and prefill not in PREFILL_CHOICES:
        errors["prefill"] = _("Choose from the list.")
    _set(spec, "prefill", prefill)

    type_changed = new_type != old_type
    if type_changed:
        # the old type's options mean something else (or nothing) now
        for name in ALL_TYPE_OPTIONS:
            spec.pop(name, None)
        spec["type"] = new_type
        for name, value in _type_defaults(new_type, all_keys(result)).items():
            spec.setdefault(name, value)
    else:
        _apply_type_options(spec, new_type, post, errors)

    _apply_visibility(result, spec, key, post, errors)

    if errors:
        raise EditError(errors)
    if new_key != key:
        spec["key"] = new_key
        rename_references(result, key, new_key)
    return FieldUpdate(result, new_key, type_changed)


def _apply_type_options(
    spec: Spec, type_id: str, post: PostData, errors: dict[str, str]
) -> None:
    def number(name: str, *, whole: bool = True) -> None:
        _set(spec, name, _number(post.get(name, ""), name, errors, whole=whole))

    if type_id in ("text", "textarea"):
        number("max_length")
        if type_id == "text":
            number("min_length")
            _set(spec, "kana", bool(post.get("kana")))
        else:
            number("rows")
    elif type_id == "number":
        number("min", whole=False)
        number("max", whole=False)
        number("decimals")
        _set(spec, "unit", _text(post.get("unit_ja", ""), post.get("unit_en", "")))
        low, high = spec.get("min"), spec.get("max")
        if low is not None and high is not None and low > high:
            errors["min"] = _("The smallest value is larger than the largest.")
    elif type_id == "date":
        for name in ("min", "max"):
            text = half_width(str(post.get(name) or "")).strip()
            if (
                text
                and text != "today"
                and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)
            ):
                errors[name] = _("Enter a date such as 2023-04-01, or “today”.")
            _set(spec, name, text)
    elif type_id == "choice":
        _apply_options(spec, post, errors)
        widget = str(post.get("widget") or "")
        multiple = bool(post.get("multiple"))
        _set(spec, "multiple", multiple)
        _set(spec, "widget", "" if multiple else widget)
        if multiple:
            number("min")
            number("max")
        else:
            spec.pop("min", None)
            spec.pop("max", None)
    elif type_id in ("checkbox", "static"):
        sentence = _text(post.get("text_ja", ""), post.get("text_en", ""))
        if type_id == "static" and not (sentence and sentence.get("ja")):
            errors["text_ja"] = _("Enter the guidance in Japanese.")
        _set(spec, "text", sentence)
    elif type_id == "file":
        number("min")
        number("max")
        accept = [
            part.strip()
            for part in re.split(r"[,、，\s]+", str(post.get("accept") or ""))
            if part.strip()
        ]
        bad = [
            a for a in accept if not re.fullmatch(r"\.[A-Za-z0-9]+|[a-z]+/[\w.+*-]+", a)
        ]
        if bad:
            errors["accept"] = _(
                "Write file types such as .pdf, .jpg or image/*, separated by commas."
            )
        _set(spec, "accept", accept or None)
    elif type_id == "group":
        number("min")
        number("max")
        for name in ("item_label", "add_label"):
            _set(
                spec,
                name,
                _text(post.get(f"{name}_ja", ""), post.get(f"{name}_en", "")),
            )
    elif type_id == "computed":
        number_unit = _text(post.get("unit_ja", ""), post.get("unit_en", ""))
        _set(spec, "unit", number_unit)
        text = str(post.get("expression") or "").strip()
        if not text:
            errors["expression"] = _("Enter the calculation.")
        else:
            try:
                spec["expression"] = json.loads(text)
            except json.JSONDecodeError as exc:
                errors["expression"] = _(
                    "This is not valid JSON (line %(line)s, column %(col)s): %(msg)s"
                ) % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}


def _apply_options(spec: Spec, post: PostData, errors: dict[str, str]) -> None:
    rows = _option_rows(post)
    sub = str(post.get("sub") or "")
    action, _sep, where = sub.partition(":")
    if where.isdigit() and int(where) < len(rows):
        index = int(where)
        if action == "option_remove":
            del rows[index]
        elif action == "option_up":
            _move(rows, index, -1)
        elif action == "option_down":
            _move(rows, index, 1)
    options: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        if not (row.value or row.ja or row.en):
            continue  # the empty row for a new option
        value = row.value or suggest_key(row.en, seen, fallback=f"option_{index + 1}")
        if value in seen:
            errors[f"opt_value.{index}"] = _("This value is used twice.")
        seen.add(value)
        if not row.ja:
            errors[f"opt_ja.{index}"] = _("Enter the label in Japanese.")
        label = {"ja": row.ja, "en": row.en} if row.en else {"ja": row.ja}
        options.append({"value": value, "label": label})
    if not options:
        errors["options"] = _("Add at least one option.")
    spec["options"] = options


def _apply_visibility(
    definition: Definition,
    spec: Spec,
    key: str,
    post: PostData,
    errors: dict[str, str],
) -> None:
    mode = visibility_of(post)
    old = spec.get("visible_if")
    new: Any = None
    if mode == "simple":
        condition = _posted_condition(post)
        candidates = {
            str(loc.spec.get("key")): loc.spec
            for loc in condition_candidates(definition, key)
        }
        target = candidates.get(condition.field)
        if target is None:
            errors["cond_field"] = _("Choose the field this depends on.")
            return
        if condition.operator not in CONDITION_OPERATORS:
            errors["cond_op"] = _("Choose from the list.")
            return
        if target.get("type") == "checkbox":
            condition.values = [
                str(condition.values[0] if condition.values else "true").lower()
                in ("true", "on", "yes", "1")
            ]
        elif not condition.values:
            errors["cond_value"] = _("Choose or enter the value.")
            return
        elif target.get("type") in ("number", "computed"):
            numbers: list[Any] = []
            for index, value in enumerate(condition.values):
                numbers.append(
                    _number(str(value), "cond_value", errors)
                    if index == 0 or not errors.get("cond_value")
                    else None
                )
            condition.values = numbers
        elif target.get("type") == "choice":
            allowed = {str(o.get("value")) for o in target.get("options") or []}
            if any(str(v) not in allowed for v in condition.values):
                errors["cond_value"] = _("Choose from the options of that field.")
                return
        new = condition_logic(condition, target)
    elif mode == "logic":
        text = str(post.get("visible_if_json") or "").strip()
        if text:
            try:
                new = json.loads(text)
            except json.JSONDecodeError as exc:
                errors["visible_if_json"] = _(
                    "This is not valid JSON (line %(line)s, column %(col)s): %(msg)s"
                ) % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
                return
    if new is None:
        spec.pop("visible_if", None)
    else:
        spec["visible_if"] = new
    # a field asked "when shown" is usually also required then: keep such a
    # required_if (the same condition) in step with the condition
    if old is not None and spec.get("required_if") == old:
        if new is None:
            spec.pop("required_if", None)
        else:
            spec["required_if"] = new


# --- problems, placed next to what they concern --------------------------------------

_FIELD_PATH = re.compile(r"^(steps\.\d+\.fields\.\d+(?:\.fields\.\d+)?)(?:\.(.*))?$")
_STEP_PATH = re.compile(r"^(steps\.\d+)(?:\.(.*))?$")

#: the part of a problem path → the input of the edit form it concerns
_INPUT_OF = {
    "key": "key",
    "type": "type",
    "label": "label_ja",
    "label.ja": "label_ja",
    "label.en": "label_en",
    "help": "help_ja",
    "help.ja": "help_ja",
    "help.en": "help_en",
    "text": "text_ja",
    "unit": "unit_ja",
    "expression": "expression",
    "visible_if": "visible_if_json",
    "options": "options",
    "accept": "accept",
    "prefill": "prefill",
    "widget": "widget",
}


def input_for(rest: str) -> str:
    """The input of a field's edit form that a problem (path relative to the
    field) concerns; ``""`` when none does."""
    if rest in _INPUT_OF:
        return _INPUT_OF[rest]
    match = re.fullmatch(r"options\.(\d+)\.(value|label)(?:\.(ja|en))?", rest)
    if match:
        index, part, lang = match.groups()
        if part == "value":
            return f"opt_value.{index}"
        return f"opt_{lang or 'ja'}.{index}"
    head = rest.split(".")[0]
    if head in ("min", "max", "max_length", "min_length", "rows", "decimals"):
        return head
    if head in ("visible_if", "expression"):
        return _INPUT_OF[head]
    return ""


def owner_of(path: str) -> tuple[str, str]:
    """``("steps.0.fields.2", "label.en")`` for a problem's path: the step or
    field it belongs to and the rest (``("", path)`` for the whole form)."""
    match = _FIELD_PATH.match(path) or _STEP_PATH.match(path)
    if match:
        return match.group(1), match.group(2) or ""
    return "", path


def problems_by_owner(problems: list[Problem]) -> dict[str, list[Problem]]:
    """Problems grouped by the step or field they concern (``""``: the form)."""
    grouped: dict[str, list[Problem]] = {}
    for problem in problems:
        grouped.setdefault(owner_of(problem.path)[0], []).append(problem)
    return grouped


def describe(definition: Mapping[str, Any], path: str, lang: str) -> str:
    """Where a path points, for people: ``Step “申請者” › “氏名”``."""
    owner, _rest = owner_of(path)
    if not owner:
        return _("The form")
    parts = owner.split(".")
    try:
        step = definition["steps"][int(parts[1])]
    except (KeyError, IndexError, ValueError, TypeError):
        return path
    text = _("Step “%(title)s”") % {"title": display_text(step.get("title"), lang)}
    node: Any = step
    for index in parts[3::2]:
        try:
            node = node["fields"][int(index)]
        except (KeyError, IndexError, ValueError, TypeError):
            return text
        label = display_text(node.get("label"), lang) or node.get("key", "")
        text += f" › “{label}”"
    return text
