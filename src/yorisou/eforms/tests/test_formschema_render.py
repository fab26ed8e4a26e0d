"""The templates of the form engine: every field type renders with its label tied
to its input, help and errors linked with aria-describedby, and the actions that
work without JavaScript."""

import re
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

import pytest

from yorisou.eforms.formschema import FormSchema, bound_fields


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def label(ja: str, en: str = "") -> dict[str, str]:
    return {"ja": ja, "en": en or ja}


OPTIONS = [{"value": v, "label": label(v.upper())} for v in ("a", "b")]
FIELDS: list[dict[str, Any]] = [
    {
        "key": "t",
        "type": "text",
        "autocomplete": "name",
        "help": label("ヘルプ", "Help"),
    },
    {"key": "ta", "type": "textarea"},
    {"key": "n", "type": "number", "unit": label("通", "copies")},
    {"key": "d", "type": "date", "autocomplete": "bday"},
    {"key": "c", "type": "choice", "options": OPTIONS},
    {"key": "cs", "type": "choice", "options": OPTIONS, "widget": "select"},
    {"key": "cm", "type": "choice", "options": OPTIONS, "multiple": True},
    {"key": "cb", "type": "checkbox", "text": label("同意する", "I agree")},
    {"key": "ad", "type": "address"},
    {"key": "p", "type": "phone"},
    {"key": "e", "type": "email"},
    {"key": "f", "type": "file", "accept": [".pdf"], "max": 3},
    {"key": "m", "type": "mynumber"},
    {
        "key": "g",
        "type": "group",
        "fields": [{"key": "gn", "type": "text", "label": label("gn")}],
    },
    {
        "key": "fee",
        "type": "computed",
        "expression": {"*": [{"var": "n"}, 300]},
        "unit": "円",
    },
    {"key": "s", "type": "static", "text": label("案内文", "Guidance")},
    {"key": "v", "type": "text", "visible_if": {"==": [{"var": "c"}, "a"]}},
]
for spec in FIELDS:
    if spec["type"] != "static":
        spec["label"] = label(f"ラベル{spec['key']}", f"Label {spec['key']}")
SCHEMA = FormSchema(
    {
        "schema": 1,
        "title": label("t"),
        "steps": [{"key": "s1", "title": label("1"), "fields": FIELDS}],
    }
)
DATA: dict[str, Any] = {
    "t": "太郎",
    "n": 2,
    "d": "2023-04-01",
    "c": "a",
    "cm": ["b"],
    "cb": True,
    "ad": {
        "postal_code": "860-0001",
        "prefecture": "熊本県",
        "city": "熊本市中央区",
        "line1": "千葉城町1-1",
    },
    "p": "+81963282111",
    "f": [{"id": 7, "name": "scan.pdf"}],
    "m": "123456789018",
    "g": [{"gn": "一郎"}],
}


def render(data=DATA, errors=None) -> str:
    fields = bound_fields(SCHEMA, "s1", data, errors or {}, lang="en")
    return render_to_string("eforms/_fields.html", {"fields": fields})


def test_every_label_points_at_an_input():
    html = render()
    targets = re.findall(r'<label[^>]* for="([^"]+)"', html)
    assert len(targets) > 20
    for target in targets:
        assert html.count(f'id="{target}"') == 1, target
    assert "Label t" in html and "Label ad" in html and "Postal code" in html


def test_values_are_shown_back():
    html = render()
    assert 'name="t" value="太郎"' in html
    assert 'name="n" value="2"' in html and "copies" in html
    assert 'name="d" value="2023-04-01"' in html
    assert 'value="a" checked' in html
    assert '<option value="熊本県" selected>' in html
    assert 'name="p" value="096-328-2111"' in html
    assert 'name="g.0.gn" value="一郎"' in html
    assert 'name="cb" value="on" checked' in html
    assert '<output class="field__output" id="f-fee"' in html and ">600 円<" in html
    assert "Guidance" in html


def test_my_number_is_masked_and_never_in_the_page():
    html = render()
    assert "123456789018" not in html
    assert "**** **** 9018" in html
    assert 'name="m" value=""' in html


def test_help_and_errors_are_described_by():
    html = render(errors={"t": ["Enter Label t."], "ad.city": ["Enter the city."]})
    assert 'aria-describedby="f-t-help f-t-error" aria-invalid="true"' in html
    assert 'id="f-t-error"' in html and "Enter Label t." in html
    assert 'id="f-ad-city-error"' in html
    assert 'aria-describedby="f-ad-city-error" aria-invalid="true"' in html
    assert 'autocomplete="name"' in html and 'autocomplete="bday"' in html
    assert 'autocomplete="postal-code"' in html and 'inputmode="numeric"' in html
    assert 'type="tel"' in html and 'type="email"' in html


def test_actions_without_javascript():
    html = render()
    assert 'name="action" value="next"' in html  # Enter saves, before any action
    assert html.index('value="next"') < html.index('value="lookup:ad"')
    assert 'name="action" value="lookup:ad" formnovalidate' in html
    assert 'name="action" value="add:g" formnovalidate' in html
    assert 'name="action" value="remove:g.0" formnovalidate' in html
    assert 'name="action" value="remove:f.0" formnovalidate' in html
    assert 'type="hidden" name="g._count" value="1"' in html
    assert 'type="file" id="f-f" name="f" accept=".pdf" multiple' in html
    assert "scan.pdf" in html


def test_conditional_field_carries_its_condition():
    html = render()
    condition = "{&quot;==&quot;: [{&quot;var&quot;: &quot;c&quot;}, &quot;a&quot;]}"
    assert f'data-visible-if="{condition}"' in html
    assert 'data-entry-prefix="g.0."' in html
    assert "data-expression=" in html
