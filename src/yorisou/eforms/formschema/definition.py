"""Form definitions: checking them (:func:`validate_definition`) and using a valid
one (:class:`FormSchema`). :data:`DEFINITION_JSON_SCHEMA` describes the format
for editors and for cities exchanging definitions."""

import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from yorisou.eforms.formschema._common import (
    PREFILL_KEYS,
    Field,
    Problem,
    text_in,
)
from yorisou.eforms.formschema.fields import WIDTHS, field_type, field_types
from yorisou.eforms.formschema.logic import check_logic

__all__ = [
    "DEFINITION_JSON_SCHEMA",
    "SCHEMA_VERSION",
    "FormSchema",
    "InvalidDefinition",
    "Step",
    "validate_definition",
]

#: The version of the definition format (``"schema": 1``).
SCHEMA_VERSION = 1

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")

COMMON_OPTIONS = frozenset(
    {
        "key",
        "type",
        "label",
        "help",
        "required",
        "required_if",
        "visible_if",
        "prefill",
        "autocomplete",
        "width",
    }
)
TOP_LEVEL_KEYS = frozenset(
    {"schema", "title", "intro", "steps", "rules", "description", "meta"}
)
STEP_KEYS = frozenset({"key", "title", "intro", "fields"})
RULE_KEYS = frozenset({"if", "field", "message"})


class InvalidDefinition(ValueError):
    """A definition has errors; ``problems`` lists them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = f"{problems[0].path}: {problems[0].message}" if problems else ""
        super().__init__(f"invalid form definition ({len(problems)} problems) {first}")


def _label_problems(value: Any, path: str, *, required: bool = True) -> list[Problem]:
    """A ``{"ja", "en"}`` text: Japanese required (an error), English expected
    (a warning)."""
    if value is None and not required:
        return []
    if not isinstance(value, Mapping):
        return [
            Problem(path, _("A text must be an object with “ja” and “en” strings."))
        ]
    problems: list[Problem] = []
    for lang, text in value.items():
        if lang not in ("ja", "en") or not isinstance(text, str):
            problems.append(
                Problem(
                    f"{path}.{lang}",
                    _("A text must be an object with “ja” and “en” strings."),
                )
            )
    ja = value.get("ja")
    if not (isinstance(ja, str) and ja.strip()):
        if required or value:
            problems.append(Problem(f"{path}.ja", _("A Japanese text is required.")))
    elif not (isinstance(value.get("en"), str) and value.get("en", "").strip()):
        problems.append(
            Problem(f"{path}.en", _("The English text is missing."), "warning")
        )
    return problems


def _unknown(
    spec: Mapping[str, Any], allowed: frozenset[str], path: str
) -> list[Problem]:
    return [
        Problem(
            f"{path}.{name}",
            _("Unknown option “%(name)s” (ignored).") % {"name": name},
            "warning",
        )
        for name in spec
        if name not in allowed
    ]


def _collect_keys(definition: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every field key with its path in the definition (nested ones too)."""
    found: list[tuple[str, str]] = []

    def walk(fields: Any, path: str) -> None:
        if not isinstance(fields, list):
            return
        for index, spec in enumerate(fields):
            if isinstance(spec, Mapping) and isinstance(spec.get("key"), str):
                found.append((spec["key"], f"{path}.{index}"))
                if spec.get("type") == "group":
                    walk(spec.get("fields"), f"{path}.{index}.fields")

    steps = definition.get("steps")
    for step_index, step in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(step, Mapping):
            walk(step.get("fields"), f"steps.{step_index}.fields")
    return found


def _rules_problems(rules: Any, path: str, known: set[str]) -> list[Problem]:
    if rules is None:
        return []
    if not isinstance(rules, list):
        return [Problem(path, _("“rules” must be a list."))]
    problems: list[Problem] = []
    for index, rule in enumerate(rules):
        where = f"{path}.{index}"
        if not isinstance(rule, Mapping):
            problems.append(
                Problem(where, _("A rule needs “if”, “field” and “message”."))
            )
            continue
        if "if" not in rule:
            problems.append(Problem(f"{where}.if", _("A rule needs a condition.")))
        else:
            problems += check_logic(rule["if"], f"{where}.if", known)
        target = rule.get("field")
        if not isinstance(target, str) or target.split(".")[0] not in known:
            problems.append(
                Problem(
                    f"{where}.field",
                    _("The rule must name a field of the form."),
                )
            )
        problems += _label_problems(rule.get("message"), f"{where}.message")
        problems += _unknown(rule, RULE_KEYS, where)
    return problems


def _field_problems(
    spec: Any, path: str, known: set[str], *, in_group: bool
) -> list[Problem]:
    if not isinstance(spec, Mapping):
        return [Problem(path, _("A field must be a JSON object."))]
    problems: list[Problem] = []
    key = spec.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        problems.append(
            Problem(
                f"{path}.key",
                _(
                    "A key is 1–63 lower-case letters, digits and underscores, "
                    "starting with a letter."
                ),
            )
        )
    type_id = spec.get("type")
    if not isinstance(type_id, str) or type_id not in field_types:
        known_types = ", ".join(name for name, _cls in field_types)
        problems.append(
            Problem(
                f"{path}.type",
                _("Unknown field type “%(type)s” (known: %(types)s).")
                % {"type": type_id, "types": known_types},
            )
        )
        return problems
    kind = field_type(type_id)
    problems += _label_problems(
        spec.get("label"), f"{path}.label", required=type_id != "static"
    )
    problems += _label_problems(spec.get("help"), f"{path}.help", required=False)
    for flag in ("required",):
        if flag in spec and not isinstance(spec[flag], bool):
            problems.append(Problem(f"{path}.{flag}", _("Use true or false.")))
    for condition in ("visible_if", "required_if"):
        if condition in spec:
            problems += check_logic(spec[condition], f"{path}.{condition}", known)
    prefill = spec.get("prefill")
    if prefill is not None and prefill not in PREFILL_KEYS:
        problems.append(
            Problem(
                f"{path}.prefill",
                _("Prefill from one of: %(keys)s.") % {"keys": ", ".join(PREFILL_KEYS)},
            )
        )
    autocomplete = spec.get("autocomplete")
    if autocomplete is not None and not (
        isinstance(autocomplete, str)
        and re.fullmatch(r"[a-z0-9 -]{1,60}", autocomplete)
    ):
        problems.append(
            Problem(
                f"{path}.autocomplete",
                _("Use an HTML autocomplete token such as “family-name”."),
            )
        )
    width = spec.get("width")
    if width is not None and width not in WIDTHS:
        problems.append(
            Problem(
                f"{path}.width",
                _("Use one of: %(widths)s.") % {"widths": ", ".join(WIDTHS)},
            )
        )
    problems += kind.check(spec, path)
    problems += _unknown(spec, COMMON_OPTIONS | kind.options, path)
    if type_id == "computed" and "expression" in spec:
        problems += check_logic(spec["expression"], f"{path}.expression", known)
    if type_id == "group":
        if in_group:
            problems.append(Problem(path, _("A group cannot contain another group.")))
        children = spec.get("fields")
        if not isinstance(children, list) or not children:
            problems.append(
                Problem(f"{path}.fields", _("A group needs a list of fields."))
            )
        else:
            for index, child in enumerate(children):
                problems += _field_problems(
                    child, f"{path}.fields.{index}", known, in_group=True
                )
        problems += _rules_problems(spec.get("rules"), f"{path}.rules", known)
    return problems


def validate_definition(definition: Any) -> list[Problem]:
    """Every problem of a form definition, errors and warnings. A definition
    without errors can be used (:class:`FormSchema`)."""
    if not isinstance(definition, Mapping):
        return [Problem("", _("A form definition must be a JSON object."))]
    problems: list[Problem] = []
    if definition.get("schema") != SCHEMA_VERSION:
        problems.append(
            Problem(
                "schema",
                _("The format version must be %(version)d.")
                % {"version": SCHEMA_VERSION},
            )
        )
    problems += _label_problems(definition.get("title"), "title")
    problems += _label_problems(definition.get("intro"), "intro", required=False)
    problems += _unknown(definition, TOP_LEVEL_KEYS, "")

    keys = _collect_keys(definition)
    known = {key for key, _path in keys}
    seen: dict[str, str] = {}
    for key, path in keys:
        if key in seen:
            problems.append(
                Problem(
                    f"{path}.key",
                    _("The key “%(key)s” is already used at %(path)s.")
                    % {"key": key, "path": seen[key]},
                )
            )
        else:
            seen[key] = path

    steps = definition.get("steps")
    if not isinstance(steps, list) or not steps:
        problems.append(Problem("steps", _("A form needs at least one step.")))
        steps = []
    step_keys: set[str] = set()
    for index, step in enumerate(steps):
        path = f"steps.{index}"
        if not isinstance(step, Mapping):
            problems.append(Problem(path, _("A step must be a JSON object.")))
            continue
        step_key = step.get("key")
        if not isinstance(step_key, str) or not KEY_PATTERN.fullmatch(step_key):
            problems.append(
                Problem(
                    f"{path}.key",
                    _(
                        "A key is 1–63 lower-case letters, digits and underscores, "
                        "starting with a letter."
                    ),
                )
            )
        elif step_key in step_keys:
            problems.append(
                Problem(
                    f"{path}.key",
                    _("The step key “%(key)s” is used twice.") % {"key": step_key},
                )
            )
        else:
            step_keys.add(step_key)
        problems += _label_problems(step.get("title"), f"{path}.title")
        problems += _label_problems(step.get("intro"), f"{path}.intro", required=False)
        problems += _unknown(step, STEP_KEYS, path)
        fields = step.get("fields")
        if not isinstance(fields, list) or not fields:
            problems.append(
                Problem(f"{path}.fields", _("A step needs a list of fields."))
            )
            continue
        for field_index, spec in enumerate(fields):
            problems += _field_problems(
                spec, f"{path}.fields.{field_index}", known, in_group=False
            )
    problems += _rules_problems(definition.get("rules"), "rules", known)
    return problems


@dataclass(frozen=True, eq=False)
class Step:
    """A page of the form: its fields in order."""

    key: str
    spec: Mapping[str, Any]
    fields: tuple[Field, ...]

    def title(self, lang: str | None = None) -> str:
        return text_in(self.spec.get("title"), lang)

    def intro(self, lang: str | None = None) -> str:
        return text_in(self.spec.get("intro"), lang)


def _build(spec: Mapping[str, Any], step: str, group: str | None) -> Field:
    children: tuple[Field, ...] = ()
    if spec["type"] == "group":
        children = tuple(_build(child, step, spec["key"]) for child in spec["fields"])
    return Field(
        key=spec["key"],
        type=spec["type"],
        spec=spec,
        kind=field_type(spec["type"]),
        step=step,
        fields=children,
        group=group,
    )


class FormSchema:
    """A valid form definition, ready to use; raises :class:`InvalidDefinition`
    for one with errors (warnings are kept in ``.warnings``)."""

    def __init__(self, definition: Mapping[str, Any]) -> None:
        problems = validate_definition(definition)
        errors = [p for p in problems if p.is_error]
        if errors:
            raise InvalidDefinition(errors)
        self.warnings = [p for p in problems if not p.is_error]
        self.definition: dict[str, Any] = copy.deepcopy(dict(definition))
        self.steps: tuple[Step, ...] = tuple(
            Step(
                key=step["key"],
                spec=step,
                fields=tuple(
                    _build(spec, step["key"], None) for spec in step["fields"]
                ),
            )
            for step in self.definition["steps"]
        )
        self._by_key = {
            f.key: f for step in self.steps for top in step.fields for f in top.walk()
        }

    def __repr__(self) -> str:
        return f"<FormSchema {self.title('ja')!r} steps={list(self.step_keys)}>"

    @property
    def step_keys(self) -> list[str]:
        return [step.key for step in self.steps]

    def step(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(f"no step {key!r} (steps: {', '.join(self.step_keys)})")

    def title(self, lang: str | None = None) -> str:
        return text_in(self.definition.get("title"), lang)

    def intro(self, lang: str | None = None) -> str:
        return text_in(self.definition.get("intro"), lang)

    @property
    def rules(self) -> list[Mapping[str, Any]]:
        return list(self.definition.get("rules") or [])

    @property
    def fields(self) -> list[Field]:
        """The top-level fields of every step, in order."""
        return [f for step in self.steps for f in step.fields]

    def all_fields(self) -> Iterator[Field]:
        """Every field, nested ones included (depth first)."""
        for top in self.fields:
            yield from top.walk()

    def field(self, path: str) -> Field:
        """The field at a data path: ``name``, ``children.0.name`` (or
        ``children.name``), ``home.postal_code`` (an address part → the
        address field). KeyError for an unknown path."""
        current: Field | None = None
        for segment in path.split("."):
            if segment.isdigit():
                continue
            if current is None:
                top = self._by_key.get(segment)
                if top is None or top.group is not None:
                    raise KeyError(f"no field {path!r}")
                current = top
            elif current.type == "group":
                child = next((f for f in current.fields if f.key == segment), None)
                if child is None:
                    raise KeyError(f"no field {path!r}")
                current = child
            else:
                return current  # a part of a composite value (an address)
        if current is None:
            raise KeyError(f"no field {path!r}")
        return current

    def field_by_key(self, key: str) -> Field:
        """A field by its key (keys are unique in the whole form)."""
        return self._by_key[key]


def _text_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"ja": {"type": "string"}, "en": {"type": "string"}},
        "required": ["ja"],
        "additionalProperties": False,
    }


#: A JSON Schema (draft 2020-12) of the definition format, for editors and for
#: cities exchanging definitions. :func:`validate_definition` checks more (unique
#: keys, logic references, each type's options).
DEFINITION_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://yorisou.example/schemas/eforms-definition-1.json",
    "title": "Yorisou form definition",
    "type": "object",
    "required": ["schema", "title", "steps"],
    "$defs": {
        "text": _text_schema(),
        "logic": {"type": ["object", "array", "string", "number", "boolean", "null"]},
        "field": {
            "type": "object",
            "required": ["key", "type"],
            "properties": {
                "key": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"},
                "type": {
                    "enum": [
                        "text",
                        "textarea",
                        "number",
                        "date",
                        "choice",
                        "checkbox",
                        "address",
                        "phone",
                        "email",
                        "file",
                        "mynumber",
                        "group",
                        "computed",
                        "static",
                    ]
                },
                "label": {"$ref": "#/$defs/text"},
                "help": {"$ref": "#/$defs/text"},
                "required": {"type": "boolean"},
                "required_if": {"$ref": "#/$defs/logic"},
                "visible_if": {"$ref": "#/$defs/logic"},
                "prefill": {"enum": list(PREFILL_KEYS)},
                "autocomplete": {"type": "string"},
                "width": {"enum": list(WIDTHS)},
                "fields": {"type": "array", "items": {"$ref": "#/$defs/field"}},
                "options": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["value", "label"],
                        "properties": {
                            "value": {"type": "string"},
                            "label": {"$ref": "#/$defs/text"},
                        },
                    },
                },
                "expression": {"$ref": "#/$defs/logic"},
            },
        },
        "rule": {
            "type": "object",
            "required": ["if", "field", "message"],
            "properties": {
                "if": {"$ref": "#/$defs/logic"},
                "field": {"type": "string"},
                "message": {"$ref": "#/$defs/text"},
            },
        },
    },
    "properties": {
        "schema": {"const": SCHEMA_VERSION},
        "title": {"$ref": "#/$defs/text"},
        "intro": {"$ref": "#/$defs/text"},
        "steps": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["key", "title", "fields"],
                "properties": {
                    "key": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"},
                    "title": {"$ref": "#/$defs/text"},
                    "intro": {"$ref": "#/$defs/text"},
                    "fields": {"type": "array", "items": {"$ref": "#/$defs/field"}},
                },
            },
        },
        "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
    },
}
