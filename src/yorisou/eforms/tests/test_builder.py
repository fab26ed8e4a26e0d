"""The structured form builder: steps, fields, options, conditions, saved to the
draft version through the service (published versions never change), with and
without htmx; permissions."""

import copy
from typing import Any

from django.urls import reverse

import pytest

from yorisou.core.models import AuditEvent
from yorisou.eforms import builder_ops, formschema
from yorisou.eforms.constants import VersionState
from yorisou.eforms.models import FormVersion
from yorisou.eforms.tests.conftest import DEFINITION
from yorisou.eforms.views.builder import _rev

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _change_url() -> str:
    return reverse("eforms:builder_change", kwargs={"slug": "test-form"})


def _draft(form: Any) -> FormVersion | None:
    draft: FormVersion | None = form.versions.filter(state=VersionState.DRAFT).first()
    return draft


def _schema(form: Any) -> dict[str, Any]:
    draft = _draft(form)
    version = draft or form.versions.get(state=VersionState.PUBLISHED)
    return dict(version.schema)


def _post(client: Any, form: Any, data: dict[str, Any], **kwargs: Any) -> Any:
    """A change as the page sends it (with the fingerprint of what it shows)."""
    return client.post(_change_url(), {"rev": _rev(_schema(form)), **data}, **kwargs)


def _field_post(spec: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The edit form of a field as rendered for ``spec``, with ``changes``."""
    editor = builder_ops.editor_for(spec)
    data: dict[str, Any] = {
        "op": "field_update",
        "target": spec["key"],
        **{k: v for k, v in editor.values.items() if not isinstance(v, bool)},
        **{k: "on" for k, v in editor.values.items() if v is True},
        "opt_value": [o.value for o in editor.options],
        "opt_ja": [o.ja for o in editor.options],
        "opt_en": [o.en for o in editor.options],
    }
    data.pop("visible_if_json", None)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _field(schema: dict[str, Any], key: str) -> dict[str, Any]:
    return builder_ops.find_field(schema, key).spec


@pytest.fixture
def signed_in(client: Any, form: Any, officer: Any) -> Any:
    client.force_login(officer)
    return client


# --- the page ------------------------------------------------------------------------


def test_page_shows_the_structured_editor_and_the_json_tab(
    signed_in: Any, form: Any
) -> None:
    edit = reverse("eforms:builder_edit", kwargs={"slug": "test-form"})
    page = signed_in.get(edit).content.decode()
    assert 'id="builder"' in page and 'id="step-applicant"' in page
    assert 'id="bf-copies"' in page and 'id="preview"' in page
    assert "builder.js" in page
    assert 'name="schema"' not in page  # the JSON editor is in its own tab
    json_tab = signed_in.get(edit, {"tab": "json"}).content.decode()
    assert 'name="schema"' in json_tab and 'id="builder"' not in json_tab
    opened = signed_in.get(edit, {"edit": "copies"}).content.decode()
    assert 'id="bf-copies-editor"' in opened and 'name="min"' in opened
    partial = signed_in.get(edit, {"edit": "copies"}, headers=HTMX)
    assert partial.content.decode().startswith('<div id="builder"')
    assert "HX-Request" in partial["Vary"]


# --- steps ---------------------------------------------------------------------------


def test_add_a_step_with_a_first_field(signed_in: Any, form: Any) -> None:
    response = _post(
        signed_in,
        form,
        {
            "op": "step_add",
            "title_ja": "添付書類",
            "title_en": "Documents",
            "type": "file",
        },
    )
    assert response.status_code == 302
    assert "edit=file" in response["Location"]
    schema = _schema(form)
    assert [s["key"] for s in schema["steps"]] == ["applicant", "request", "documents"]
    step = schema["steps"][2]
    assert step["title"] == {"ja": "添付書類", "en": "Documents"}
    assert step["fields"] == [
        {
            "key": "file",
            "type": "file",
            "label": {"ja": "添付書類", "en": "Attached documents"},
        }
    ]
    # the published version is untouched; the change went to a new draft, audited
    published = form.versions.get(number=1)
    assert published.schema == DEFINITION and published.state == VersionState.PUBLISHED
    assert _draft(form).number == 2
    assert AuditEvent.objects.filter(action="eforms.version.create").exists()


def test_rename_move_and_delete_steps(signed_in: Any, form: Any) -> None:
    _post(
        signed_in,
        form,
        {
            "op": "step_update",
            "target": "request",
            "title_ja": "請求の内容",
            "title_en": "What you request",
            "intro_ja": "通数を入力してください。",
        },
    )
    schema = _schema(form)
    assert schema["steps"][1]["title"] == {"ja": "請求の内容", "en": "What you request"}
    assert schema["steps"][1]["intro"] == {"ja": "通数を入力してください。"}
    _post(signed_in, form, {"op": "step_up", "target": "request"})
    assert [s["key"] for s in _schema(form)["steps"]] == ["request", "applicant"]
    _post(signed_in, form, {"op": "step_up", "target": "request"})  # already first
    assert [s["key"] for s in _schema(form)["steps"]] == ["request", "applicant"]
    _post(signed_in, form, {"op": "step_down", "target": "request"})
    assert [s["key"] for s in _schema(form)["steps"]] == ["applicant", "request"]
    _post(signed_in, form, {"op": "step_delete", "target": "request"})
    assert [s["key"] for s in _schema(form)["steps"]] == ["applicant"]
    # the last step cannot go
    response = _post(signed_in, form, {"op": "step_delete", "target": "applicant"})
    assert response.status_code == 400
    assert [s["key"] for s in _schema(form)["steps"]] == ["applicant"]


def test_a_step_needs_a_japanese_title(signed_in: Any, form: Any) -> None:
    response = _post(
        signed_in,
        form,
        {"op": "step_update", "target": "request", "title_ja": " ", "title_en": "X"},
    )
    assert response.status_code == 400
    assert 'id="step-request-title_ja-error"' in response.content.decode()
    assert _draft(form) is None


# --- fields --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [k.type_id for k in builder_ops.FIELD_KINDS])
def test_add_each_field_type(signed_in: Any, form: Any, kind: str) -> None:
    response = _post(
        signed_in,
        form,
        {"op": "field_add", "step": "request", "type": kind},
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div id="builder"') and 'data-focus="be-label_ja"' in html
    schema = _schema(form)
    added = schema["steps"][1]["fields"][-1]
    assert added["type"] == kind
    assert added["key"] == kind
    assert f'id="bf-{kind}-editor"' in html  # its edit form is open
    assert not [p for p in formschema.validate_definition(schema) if p.is_error]


def test_edit_labels_key_and_required(signed_in: Any, form: Any) -> None:
    _post(signed_in, form, {"op": "field_add", "step": "request", "type": "text"})
    spec = _field(_schema(form), "text")
    response = _post(
        signed_in,
        form,
        _field_post(
            spec,
            label_ja="受け取る人の氏名",
            label_en="Recipient's name",
            help_ja="窓口で受け取る人",
            key="",  # empty: made from the English label
            required="on",
            max_length="50",
            kana=None,
        ),
    )
    assert response.status_code == 302
    assert "edit=recipient_s_name" in response["Location"]
    spec = _field(_schema(form), "recipient_s_name")
    assert spec == {
        "key": "recipient_s_name",
        "type": "text",
        "label": {"ja": "受け取る人の氏名", "en": "Recipient's name"},
        "help": {"ja": "窓口で受け取る人"},
        "required": True,
        "max_length": 50,
    }


def test_a_bad_key_shows_a_field_error_and_changes_nothing(
    signed_in: Any, form: Any
) -> None:
    spec = _field(_schema(form), "copies")
    for bad, message in (("Copies!", "英小文字"), ("name", "使われています")):
        response = _post(signed_in, form, _field_post(spec, key=bad, label_ja="部数"))
        assert response.status_code == 400
        html = response.content.decode()
        assert 'id="be-key-error"' in html and message in html
        assert 'aria-invalid="true"' in html
        assert 'value="部数"' in html  # what was typed is kept
        assert _draft(form) is None  # nothing saved
    htmx = _post(signed_in, form, _field_post(spec, key="Bad"), headers=HTMX)
    assert htmx.status_code == 200 and 'data-focus="be-key"' in htmx.content.decode()
    assert _draft(form) is None


def test_renaming_a_key_follows_its_references(signed_in: Any, form: Any) -> None:
    spec = _field(_schema(form), "copies")
    _post(signed_in, form, _field_post(spec, key="number_of_copies"))
    schema = _schema(form)
    assert _field(schema, "fee")["expression"] == {
        "*": [{"var": "number_of_copies"}, 300]
    }


def test_number_and_date_options(signed_in: Any, form: Any) -> None:
    spec = _field(_schema(form), "copies")
    _post(
        signed_in,
        form,
        _field_post(spec, min="2", max="２０", unit_ja="通", unit_en="copies"),
    )
    spec = _field(_schema(form), "copies")
    assert (spec["min"], spec["max"], spec["unit"]) == (
        2,
        20,
        {"ja": "通", "en": "copies"},
    )
    bad = _post(signed_in, form, _field_post(spec, min="30"))
    assert bad.status_code == 400 and 'id="be-min-error"' in bad.content.decode()
    date = _field(_schema(form), "birthdate")
    _post(signed_in, form, _field_post(date, min="1900-01-01", max="today"))
    assert _field(_schema(form), "birthdate")["max"] == "today"
    bad = _post(signed_in, form, _field_post(date, min="昨日"))
    assert bad.status_code == 400


def test_choice_options_add_edit_move_remove(signed_in: Any, form: Any) -> None:
    _post(signed_in, form, {"op": "field_add", "step": "request", "type": "choice"})
    spec = _field(_schema(form), "choice")
    assert [o["value"] for o in spec["options"]] == ["yes", "no"]
    # edit the labels and add a third option (the empty "new" row, value made up)
    _post(
        signed_in,
        form,
        _field_post(
            spec,
            label_ja="受け取り方法",
            label_en="How to receive it",
            key="delivery",
            opt_value=["counter", "post", ""],
            opt_ja=["窓口", "郵送", "コンビニ"],
            opt_en=["At the counter", "By post", "Convenience store"],
            widget="radio",
        ),
    )
    spec = _field(_schema(form), "delivery")
    assert spec["options"] == [
        {"value": "counter", "label": {"ja": "窓口", "en": "At the counter"}},
        {"value": "post", "label": {"ja": "郵送", "en": "By post"}},
        {
            "value": "convenience_store",
            "label": {"ja": "コンビニ", "en": "Convenience store"},
        },
    ]
    assert spec["widget"] == "radio"
    _post(signed_in, form, _field_post(spec, sub="option_up:2"))
    spec = _field(_schema(form), "delivery")
    assert [o["value"] for o in spec["options"]] == [
        "counter",
        "convenience_store",
        "post",
    ]
    _post(signed_in, form, _field_post(spec, sub="option_remove:0"))
    spec = _field(_schema(form), "delivery")
    assert [o["value"] for o in spec["options"]] == ["convenience_store", "post"]
    # the same value twice is refused next to the option
    bad = _post(
        signed_in,
        form,
        _field_post(spec, opt_value=["post", "post"], opt_ja=["A", "B"]),
    )
    assert bad.status_code == 400
    assert 'id="be-opt_value-1-error"' in bad.content.decode()
    # several choices
    _post(signed_in, form, _field_post(spec, multiple="on", min="1", max="2"))
    spec = _field(_schema(form), "delivery")
    assert spec["multiple"] is True and (spec["min"], spec["max"]) == (1, 2)
    assert "widget" not in spec


def test_file_group_computed_static_and_checkbox_options(
    signed_in: Any, form: Any
) -> None:
    for kind in ("file", "group", "computed", "static", "checkbox"):
        _post(signed_in, form, {"op": "field_add", "step": "request", "type": kind})
    schema = _schema(form)
    _post(
        signed_in,
        form,
        _field_post(_field(schema, "file"), accept=".pdf, image/*", max="3"),
    )
    assert _field(_schema(form), "file")["accept"] == [".pdf", "image/*"]
    bad = _post(
        signed_in, form, _field_post(_field(_schema(form), "file"), accept="pdf files")
    )
    assert bad.status_code == 400 and 'id="be-accept-error"' in bad.content.decode()
    _post(
        signed_in,
        form,
        _field_post(
            _field(_schema(form), "group"),
            min="1",
            max="4",
            item_label_ja="児童",
            item_label_en="Child",
        ),
    )
    group = _field(_schema(form), "group")
    assert (group["min"], group["max"], group["item_label"]) == (
        1,
        4,
        {"ja": "児童", "en": "Child"},
    )
    # a field inside the group, moved and deleted there
    _post(signed_in, form, {"op": "field_add", "group": "group", "type": "date"})
    group = _field(_schema(form), "group")
    assert [f["type"] for f in group["fields"]] == ["text", "date"]
    _post(signed_in, form, {"op": "field_up", "target": "date"})
    assert [f["type"] for f in _field(_schema(form), "group")["fields"]] == [
        "date",
        "text",
    ]
    no_nesting = _post(
        signed_in, form, {"op": "field_add", "group": "group", "type": "group"}
    )
    assert no_nesting.status_code == 400
    _post(
        signed_in,
        form,
        _field_post(
            _field(_schema(form), "computed"),
            expression='{"*": [{"var": "copies"}, 350]}',
            unit_ja="円",
        ),
    )
    assert _field(_schema(form), "computed")["expression"] == {
        "*": [{"var": "copies"}, 350]
    }
    bad = _post(
        signed_in,
        form,
        _field_post(_field(_schema(form), "computed"), expression='{"*": ['),
    )
    assert bad.status_code == 400 and "JSON" in bad.content.decode()
    unknown = _post(
        signed_in,
        form,
        _field_post(_field(_schema(form), "computed"), expression='{"var": "nothing"}'),
    )
    assert unknown.status_code == 400
    assert "nothing" in unknown.content.decode()
    _post(
        signed_in,
        form,
        _field_post(
            _field(_schema(form), "static"),
            text_ja="窓口は平日のみです。",
            text_en="The counter is open on weekdays.",
        ),
    )
    assert _field(_schema(form), "static")["text"]["ja"] == "窓口は平日のみです。"
    _post(
        signed_in,
        form,
        _field_post(
            _field(_schema(form), "checkbox"), text_ja="同意します。", text_en=""
        ),
    )
    assert _field(_schema(form), "checkbox")["text"] == {"ja": "同意します。"}


def test_change_a_field_type(signed_in: Any, form: Any) -> None:
    spec = _field(_schema(form), "copies")
    _post(signed_in, form, _field_post(spec, type="choice"))
    spec = _field(_schema(form), "copies")
    assert spec["type"] == "choice" and "min" not in spec and "max" not in spec
    assert len(spec["options"]) == 2
    assert spec["label"] == {"ja": "通数", "en": "Copies"}


def test_move_and_delete_fields(signed_in: Any, form: Any) -> None:
    _post(signed_in, form, {"op": "field_down", "target": "name"})
    keys = [f["key"] for f in _schema(form)["steps"][0]["fields"]]
    assert keys == ["birthdate", "name", "my_number"]
    response = _post(
        signed_in, form, {"op": "field_up", "target": "name"}, headers=HTMX
    )
    assert 'data-focus="bf-name-down"' in response.content.decode()  # first now
    _post(signed_in, form, {"op": "field_delete", "target": "my_number"})
    keys = [f["key"] for f in _schema(form)["steps"][0]["fields"]]
    assert keys == ["name", "birthdate"]
    # a field used by another one cannot go
    used = _post(signed_in, form, {"op": "field_delete", "target": "copies"})
    assert used.status_code == 400
    html = used.content.decode()
    assert "copies" in html and "手数料" in html  # where the problem would be
    assert _field(_schema(form), "copies")


def test_stale_page_changes_nothing(signed_in: Any, form: Any) -> None:
    response = signed_in.post(
        _change_url(), {"rev": "0" * 16, "op": "field_delete", "target": "name"}
    )
    assert response.status_code == 400
    assert _draft(form) is None


# --- conditions ----------------------------------------------------------------------


def _with_choice(signed_in: Any, form: Any) -> None:
    _post(signed_in, form, {"op": "field_add", "step": "request", "type": "choice"})
    _post(signed_in, form, {"op": "field_add", "step": "request", "type": "text"})
    _post(signed_in, form, {"op": "field_add", "step": "request", "type": "checkbox"})


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"cond_field": "choice", "cond_op": "is", "cond_values": ["yes"]},
            {"==": [{"var": "choice"}, "yes"]},
        ),
        (
            {"cond_field": "choice", "cond_op": "not", "cond_values": ["yes"]},
            {"!=": [{"var": "choice"}, "yes"]},
        ),
        (
            {"cond_field": "choice", "cond_op": "in", "cond_values": ["yes", "no"]},
            {"in": [{"var": "choice"}, ["yes", "no"]]},
        ),
        (
            {"cond_field": "copies", "cond_op": "in", "cond_value": "1, 2"},
            {"in": [{"var": "copies"}, [1, 2]]},
        ),
        (
            {"cond_field": "checkbox", "cond_value": "true"},
            {"!!": [{"var": "checkbox"}]},
        ),
        (
            {"cond_field": "name", "cond_op": "not", "cond_value": "太郎"},
            {"!=": [{"var": "name"}, "太郎"]},
        ),
    ],
)
def test_condition_builder_writes_visible_if(
    signed_in: Any, form: Any, data: dict[str, Any], expected: Any
) -> None:
    _with_choice(signed_in, form)
    spec = _field(_schema(form), "text")
    response = _post(signed_in, form, _field_post(spec, **data))
    assert response.status_code == 302
    saved = _field(_schema(form), "text")
    assert saved["visible_if"] == expected
    # and it reads back into the same simple condition
    editor = builder_ops.editor_for(saved)
    assert (
        editor.visibility == "simple" and editor.condition.field == data["cond_field"]
    )
    page = signed_in.get(response["Location"]).content.decode()
    assert "Shown only when" in page or "場合のみ表示" in page


def test_condition_errors_and_removal(signed_in: Any, form: Any) -> None:
    _with_choice(signed_in, form)
    spec = _field(_schema(form), "text")
    no_value = _post(signed_in, form, _field_post(spec, cond_field="choice"))
    assert no_value.status_code == 400
    html = no_value.content.decode()
    assert 'id="be-cond_value-error"' in html
    assert 'name="cond_values" value="yes"' in html  # now offers the options
    wrong = _post(
        signed_in, form, _field_post(spec, cond_field="choice", cond_value="maybe")
    )
    assert wrong.status_code == 400
    refresh = _post(
        signed_in,
        form,
        _field_post(spec, cond_field="choice", sub="refresh"),
        headers=HTMX,
    )
    assert 'name="cond_values" value="no"' in refresh.content.decode()
    assert "visible_if" not in _field(_schema(form), "text")
    # set, with required_if the same, then back to "always": both go
    _post(
        signed_in,
        form,
        _field_post(spec, cond_field="choice", cond_values=["yes"]),
    )
    schema = _schema(form)
    schema_spec = _field(schema, "text")
    assert schema_spec["visible_if"] == {"==": [{"var": "choice"}, "yes"]}


def test_advanced_json_logic_condition(signed_in: Any, form: Any) -> None:
    _with_choice(signed_in, form)
    spec = _field(_schema(form), "text")
    logic = '{"and": [{"==": [{"var": "choice"}, "yes"]}, {"var": "checkbox"}]}'
    _post(signed_in, form, _field_post(spec, use_logic="on", visible_if_json=logic))
    saved = _field(_schema(form), "text")
    assert saved["visible_if"]["and"][1] == {"var": "checkbox"}
    assert builder_ops.editor_for(saved).visibility == "logic"
    bad = _post(
        signed_in, form, _field_post(saved, use_logic="on", visible_if_json="{")
    )
    assert bad.status_code == 400
    assert 'id="be-visible_if_json-error"' in bad.content.decode()
    # back to always shown
    _post(signed_in, form, _field_post(saved, cond_field=""))
    assert "visible_if" not in _field(_schema(form), "text")


def test_required_if_follows_the_condition(signed_in: Any, form: Any) -> None:
    schema = copy.deepcopy(DEFINITION)
    schema["steps"][1]["fields"].append(
        {
            "key": "wants_mail",
            "type": "checkbox",
            "label": {"ja": "郵送希望", "en": "By post"},
        }
    )
    schema["steps"][1]["fields"].append(
        {
            "key": "mail_to",
            "type": "text",
            "label": {"ja": "送付先", "en": "Send to"},
            "visible_if": {"!!": [{"var": "wants_mail"}]},
            "required_if": {"!!": [{"var": "wants_mail"}]},
        }
    )
    from yorisou.eforms import services

    services.form_version_save(
        actor=form.versions.first().created_by, definition=form, schema=schema
    )
    spec = _field(_schema(form), "mail_to")
    _post(
        signed_in, form, _field_post(spec, cond_field="wants_mail", cond_value="false")
    )
    saved = _field(_schema(form), "mail_to")
    assert saved["visible_if"] == {"!": [{"var": "wants_mail"}]}
    assert saved["required_if"] == saved["visible_if"]


# --- the form, publishing, problems ---------------------------------------------------


def test_form_title_and_problems_next_to_fields(signed_in: Any, form: Any) -> None:
    _post(
        signed_in,
        form,
        {"op": "form_update", "title_ja": "証明書交付請求", "title_en": ""},
    )
    assert _schema(form)["title"] == {"ja": "証明書交付請求"}
    edit = reverse("eforms:builder_edit", kwargs={"slug": "test-form"})
    _post(signed_in, form, {"op": "field_add", "step": "request", "type": "text"})
    spec = _field(_schema(form), "text")
    _post(signed_in, form, _field_post(spec, label_en=""))
    page = signed_in.get(edit, {"edit": "text"}).content.decode()
    # the missing English label is shown beside its input and in the list
    assert 'id="be-label_en-warning"' in page
    assert page.count('class="bproblem"') >= 2


def test_publish_the_built_draft(signed_in: Any, form: Any) -> None:
    _post(signed_in, form, {"op": "field_add", "step": "request", "type": "email"})
    draft = _draft(form)
    assert draft is not None
    signed_in.post(
        reverse("eforms:builder_publish", kwargs={"slug": "test-form", "number": 2})
    )
    form.refresh_from_db()
    assert form.current_version.number == 2
    # the next change makes a new draft: version 2 stays as published
    _post(signed_in, form, {"op": "field_delete", "target": "email"})
    form.refresh_from_db()
    assert _field(form.versions.get(number=2).schema, "email")
    assert _draft(form).number == 3
    assert form.versions.get(number=1).schema == DEFINITION


# --- permissions ---------------------------------------------------------------------


def test_citizens_and_other_sections_cannot_build(
    client: Any, form: Any, applicant: Any, other_officer: Any
) -> None:
    data = {"op": "field_add", "step": "request", "type": "text"}
    edit = reverse("eforms:builder_edit", kwargs={"slug": "test-form"})
    assert client.post(_change_url(), data).status_code == 302  # sign in first
    client.force_login(applicant)
    assert client.post(_change_url(), data).status_code == 403
    assert client.get(edit, {"edit": "name"}).status_code == 403
    client.force_login(other_officer)
    assert client.post(_change_url(), data).status_code == 404
    assert client.get(edit).status_code == 404
    assert _draft(form) is None
    assert client.get(_change_url()).status_code == 405


def test_admin_builds_a_form_without_versions(
    client: Any, admin_user: Any, org: dict[str, Any]
) -> None:
    from yorisou.eforms import services
    from yorisou.procedures.tests.factories import ProcedureFactory

    procedure = ProcedureFactory(org_unit=org["disability"], name="新しい手続")
    services.form_definition_save(
        actor=admin_user,
        procedure=procedure,
        slug="new-form",
        section=org["disability"],
        assurance="account",
        sla_days=5,
    )
    client.force_login(admin_user)
    page = client.get(reverse("eforms:builder_edit", kwargs={"slug": "new-form"}))
    assert page.status_code == 200 and "新しい手続" in page.content.decode()
    response = client.post(
        reverse("eforms:builder_change", kwargs={"slug": "new-form"}),
        {"op": "field_add", "step": "step_1", "type": "date"},
    )
    assert response.status_code == 302
    version = FormVersion.objects.get(definition__slug="new-form")
    assert version.number == 1 and version.state == VersionState.DRAFT
    assert version.schema["title"] == {"ja": "新しい手続"}
    assert [f["type"] for f in version.schema["steps"][0]["fields"]] == ["text", "date"]
