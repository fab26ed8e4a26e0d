"""The form engine of online applications: pure Python, no models, no database.

A *form definition* is JSON (shared between cities as a file):

```json
{
  "schema": 1,
  "title": {"ja": "児童手当 認定請求書", "en": "Child allowance: application"},
  "intro": {"ja": "…", "en": "…"},
  "steps": [
    {"key": "applicant", "title": {"ja": "請求者", "en": "Applicant"},
     "fields": [
       {"key": "name", "type": "text", "label": {"ja": "氏名", "en": "Name"},
        "required": true, "max_length": 100, "prefill": "name"},
       {"key": "children", "type": "group", "label": {"ja": "児童", "en": "Children"},
        "min": 1, "max": 10, "fields": [ … ]},
       {"key": "spouse_name", "type": "text", "label": {…},
        "visible_if": {"==": [{"var": "has_spouse"}, true]}},
       {"key": "fee", "type": "computed", "label": {…},
        "expression": {"*": [{"var": "copies"}, 300]}, "unit": "円"}
     ]}
  ],
  "rules": [{"if": {"<": [{"var": "copies"}, 1]}, "field": "copies",
             "message": {"ja": "…", "en": "…"}}]
}
```

Conditions and computed values are JSON Logic (``json-logic-modernized`` on the
server; the browser may evaluate the same rules with ``json-logic-js`` to show and
hide fields, but the server decides). Field paths are dotted: ``children.0.name``.

The public API (what ``eforms.services`` and the views use):

- ``validate_definition(definition) -> list[Problem]``: every problem of a definition
  (``Problem.path`` such as ``steps.0.fields.2.type``, ``Problem.message`` ja/en
  through gettext). Empty list = valid.
- ``FormSchema(definition)``: a parsed, valid definition (raises
  ``InvalidDefinition(problems)`` otherwise). ``.steps`` (each ``.key``,
  ``.title(lang)``), ``.step(key)``, ``.step_keys``, ``.title(lang)``,
  ``.field(path)``.
- ``clean_step(schema, step_key, post, data, *, uploads=None, store_upload=None,
  action="") -> StepResult``: parse and validate one step's POSTed values (a
  ``QueryDict``-like mapping with ``getlist``) into ``data`` (a copy is returned in
  ``StepResult.data``; ``StepResult.errors`` maps field paths to messages;
  ``StepResult.valid``). ``action`` is ``""`` (save and go on), ``"add:children"``
  or ``"remove:children.1"`` (repeating groups without JavaScript) or
  ``"lookup:address"`` (fill the address from the postal code). Uploaded files
  (``uploads``: path → list of ``UploadedFile``) are handed to
  ``store_upload(path, file) -> dict`` which the service supplies (it checks and
  stores the file and returns a small JSON reference kept in ``data``).
- ``clean_all(schema, data) -> dict[str, list[str]]``: validate the whole
  application again (server side, at submit): required, formats, rules, and
  values of invisible fields are dropped first (``prune(schema, data)``).
- ``compute(schema, data) -> dict[str, Any]``: the computed values (e.g. the fee).
- ``bound_fields(schema, step_key, data, errors, *, lang, prefill=None,
  verified=frozenset()) -> list[BoundField]``: what the step template renders
  (``eforms/_fields.html``); prefilled values come from ``prefill`` (claims from
  the My Number card sign-in: ``name``, ``address``, ``birthdate``, ``gender``),
  and fields whose prefill key is in ``verified`` are shown as verified.
- ``summary(schema, data, *, lang, mask=True) -> list[SummaryRow]``: the
  application as label/value rows per step, for the review page, the receipt and
  the back office; My Number values masked unless ``mask=False``.
- ``split_sensitive(schema, data) -> (data_without, secrets)`` and
  ``join_sensitive(data_without, secrets) -> data``: My Number values
  (path → 12 digits) kept apart so the service can store them encrypted.
"""

from yorisou.eforms.formschema._common import Field, FieldError, Problem
from yorisou.eforms.formschema.definition import (
    DEFINITION_JSON_SCHEMA,
    FormSchema,
    InvalidDefinition,
    Step,
    validate_definition,
)
from yorisou.eforms.formschema.engine import (
    BoundField,
    ErrorLink,
    GroupEntry,
    Option,
    StepResult,
    StoreUpload,
    SummaryRow,
    bound_fields,
    clean_all,
    clean_step,
    compute,
    error_summary,
    html_id,
    join_sensitive,
    prune,
    split_sensitive,
    summary,
)
from yorisou.eforms.formschema.fields import field_types, lookup_postal_code

__all__ = [
    "DEFINITION_JSON_SCHEMA",
    "BoundField",
    "ErrorLink",
    "Field",
    "FieldError",
    "FormSchema",
    "GroupEntry",
    "InvalidDefinition",
    "Option",
    "Problem",
    "Step",
    "StepResult",
    "StoreUpload",
    "SummaryRow",
    "bound_fields",
    "clean_all",
    "clean_step",
    "compute",
    "error_summary",
    "field_types",
    "html_id",
    "join_sensitive",
    "lookup_postal_code",
    "prune",
    "split_sensitive",
    "summary",
    "validate_definition",
]
