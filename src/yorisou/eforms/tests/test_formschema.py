"""The form engine: field types, conditions, rules, computed values, groups,
summary and My Number handling (no database)."""

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.utils import translation

import pytest

from yorisou.eforms import formschema
from yorisou.eforms.formschema import (
    FormSchema,
    InvalidDefinition,
    clean_all,
    clean_step,
    compute,
    join_sensitive,
    prune,
    split_sensitive,
    summary,
    validate_definition,
)

DEMO_DIR = Path(__file__).resolve().parents[1] / "demo_data" / "forms"
VALID_MYNUMBER = "123456789018"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def label(ja: str, en: str = "") -> dict[str, str]:
    return {"ja": ja, "en": en or ja}


def make(*fields: dict[str, Any], rules: list[Any] | None = None) -> FormSchema:
    definition: dict[str, Any] = {
        "schema": 1,
        "title": label("テスト", "Test"),
        "steps": [
            {"key": "main", "title": label("入力", "Input"), "fields": list(fields)}
        ],
    }
    if rules is not None:
        definition["rules"] = rules
    return FormSchema(definition)


def field(key: str, type_: str, **options: Any) -> dict[str, Any]:
    return {"key": key, "type": type_, "label": label(key, key.title()), **options}


def post(**values: Any) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in values.items():
        key = key.replace("__", ".")
        if isinstance(value, list):
            query.setlist(key, value)
        else:
            query[key] = value
    return query


def run(schema: FormSchema, data: dict[str, Any] | None = None, **values: Any):
    return clean_step(schema, "main", post(**values), data or {})


# --- text -----------------------------------------------------------------------


def test_text_is_trimmed_and_required():
    schema = make(field("name", "text", required=True, max_length=5))
    result = run(schema, name="  ｶﾅ太郎 ")
    assert result.valid
    assert result.data["name"] == "カナ太郎"
    assert run(schema, name="").errors == {"name": ["Enter Name."]}
    assert run(schema, name="123456").errors == {
        "name": ["Enter at most 5 characters (now 6)."]
    }


def test_text_kana_converts_hiragana_and_refuses_kanji():
    schema = make(field("kana", "text", kana=True))
    assert run(schema, kana="やまだ たろう").data["kana"] == "ヤマダ\u3000タロウ"
    assert run(schema, kana="山田").errors == {
        "kana": ["Enter this in katakana (カタカナ)."]
    }


def test_text_pattern_with_message():
    schema = make(
        field(
            "account",
            "text",
            pattern="[0-9]{7}",
            pattern_message=label("7桁", "7 digits"),
        )
    )
    assert run(schema, account="0123456").valid
    assert run(schema, account="12345").errors == {"account": ["7 digits"]}


def test_textarea_keeps_lines():
    schema = make(field("note", "textarea"))
    assert run(schema, note="一行目\r\n二行目").data["note"] == "一行目\r\n二行目"


# --- number ---------------------------------------------------------------------


def test_number_normalises_full_width_and_units():
    schema = make(field("copies", "number", min=1, max=10, unit="通"))
    assert run(schema, copies="３").data["copies"] == 3
    assert run(schema, copies="2通").data["copies"] == 2
    assert run(schema, copies="").data["copies"] is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("abc", "Enter a number, such as 3."),
        ("1.5", "Enter a whole number."),
        ("0", "Enter a number of at least 1."),
        ("11", "Enter a number of at most 10."),
    ],
)
def test_number_refuses(raw, message):
    schema = make(field("copies", "number", min=1, max=10))
    assert run(schema, copies=raw).errors == {"copies": [message]}


def test_number_with_decimals():
    schema = make(field("hours", "number", decimals=1))
    assert run(schema, hours="37.5").data["hours"] == 37.5
    assert run(schema, hours="37.25").errors == {
        "hours": ["Enter a number with at most 1 decimal places."]
    }


# --- date -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["令和5年4月1日", "R5.4.1", "R5/4/1", "2023-04-01", "2023/4/1", "２０２３／４／１"],
)
def test_date_accepts_japanese_and_western_forms(raw):
    schema = make(field("day", "date"))
    result = run(schema, day=raw)
    assert result.valid
    assert result.data["day"] == "2023-04-01"


def test_date_refuses_and_bounds():
    schema = make(field("day", "date", min="2023-01-01", max="2023-12-31"))
    assert run(schema, day="令和5年2月30日").errors == {
        "day": ["Enter a date such as 令和5年4月1日 or 2023-04-01."]
    }
    assert run(schema, day="2022-12-31").errors == {
        "day": ["Enter a date on or after 2023-01-01 (Reiwa 5)."]
    }
    assert run(schema, day="2024-01-01").errors == {
        "day": ["Enter a date on or before 2023-12-31 (Reiwa 5)."]
    }


def test_date_max_today_refuses_the_future():
    schema = make(field("day", "date", max="today"))
    assert "day" in run(schema, day="2999-01-01").errors


def test_date_display_and_widget():
    schema = make(field("day", "date"))
    data = {"day": "2023-04-01"}
    assert summary(schema, data, lang="ja")[0].value == "令和5年4月1日（2023-04-01）"
    assert summary(schema, data, lang="en")[0].value == "2023-04-01 (Reiwa 5)"
    bound = formschema.bound_fields(schema, "main", data, {}, lang="ja")
    assert bound[0].value == "令和5年4月1日"


# --- choice and checkbox --------------------------------------------------------

OPTIONS = [
    {"value": "a", "label": label("あ", "A")},
    {"value": "b", "label": label("い", "B")},
    {"value": "c", "label": label("う", "C")},
]


def test_choice_single():
    schema = make(field("pick", "choice", options=OPTIONS, required=True))
    assert run(schema, pick="b").data["pick"] == "b"
    assert run(schema, pick="z").errors == {"pick": ["Choose from the options shown."]}
    assert run(schema).errors == {"pick": ["Select Pick."]}
    assert summary(schema, {"pick": "b"}, lang="ja")[0].value == "い"


def test_choice_multiple_keeps_option_order():
    schema = make(field("picks", "choice", options=OPTIONS, multiple=True, max=2))
    assert run(schema, picks=["c", "a"]).data["picks"] == ["a", "c"]
    assert run(schema, picks=["a", "b", "c"]).errors == {
        "picks": ["Choose at most 2 options."]
    }
    assert summary(schema, {"picks": ["a", "c"]}, lang="en")[0].value == "A, C"


def test_checkbox_required_must_be_checked():
    schema = make(
        field("consent", "checkbox", required=True, text=label("同意する", "I agree"))
    )
    assert run(schema, consent="on").data["consent"] is True
    unchecked = run(schema)
    assert unchecked.data["consent"] is False
    assert unchecked.errors == {"consent": ["Check “I agree” to go on."]}


# --- address --------------------------------------------------------------------


def test_postal_code_lookup():
    found = formschema.lookup_postal_code("860-0001")
    assert found is not None
    assert (
        found["prefecture"] + found["city"] + found["town"]
        == "熊本県熊本市中央区千葉城町"
    )
    assert formschema.lookup_postal_code("000-0000") is None


def test_address_lookup_action_fills_without_javascript():
    schema = make(field("home", "address", required=True))
    result = clean_step(
        schema,
        "main",
        post(home__postal_code="８６０－０００１"),
        {},
        action="lookup:home",
    )
    assert not result.valid
    assert result.errors == {}
    assert result.anchor == "f-home-line1"
    assert result.data["home"] == {
        "postal_code": "860-0001",
        "prefecture": "熊本県",
        "city": "熊本市中央区",
        "line1": "千葉城町",
        "line2": "",
    }


def test_address_lookup_of_unknown_code_says_so():
    schema = make(field("home", "address"))
    result = clean_step(
        schema, "main", post(home__postal_code="000-0000"), {}, action="lookup:home"
    )
    assert list(result.errors) == ["home.postal_code"]


def test_address_parts_are_checked():
    schema = make(field("home", "address", required=True))
    assert run(schema).errors == {"home": ["Enter Home."]}
    result = run(
        schema,
        home__postal_code="8600001",
        home__prefecture="熊本県",
        home__city="",
        home__line1="千葉城町１－１",
    )
    assert result.errors == {"home.city": ["Enter City, ward, town or village."]}
    assert result.data["home"]["line1"] == "千葉城町１－１"  # kept as typed
    bad = run(
        schema,
        home__postal_code="86000",
        home__prefecture="熊本",
        home__city="熊本市中央区",
        home__line1="千葉城町1-1",
    )
    assert set(bad.errors) == {"home.postal_code", "home.prefecture"}
    good = run(
        schema,
        home__postal_code="8600001",
        home__prefecture="熊本県",
        home__city="熊本市中央区",
        home__line1="千葉城町１－１",
    )
    assert good.valid
    assert good.data["home"]["line1"] == "千葉城町1-1"
    assert (
        summary(schema, good.data, lang="ja")[0].value
        == "〒860-0001 熊本県熊本市中央区千葉城町1-1"
    )


# --- phone and email ------------------------------------------------------------


def test_phone_stored_e164_shown_national():
    schema = make(field("tel", "phone"))
    result = run(schema, tel="０９６－３２８－２１１１")
    assert result.data["tel"] == "+81963282111"
    assert summary(schema, result.data, lang="ja")[0].value == "096-328-2111"
    assert run(schema, tel="090-1234-5678").data["tel"] == "+819012345678"
    assert run(schema, tel="12345").errors == {
        "tel": ["Enter a telephone number such as 096-328-2111 or 090-1234-5678."]
    }


def test_email():
    schema = make(field("mail", "email"))
    assert run(schema, mail="Taro＠Example.JP").data["mail"] == "Taro@example.jp"
    assert run(schema, mail="taro@").errors == {
        "mail": ["Enter an email address such as name@example.jp."]
    }


# --- files ----------------------------------------------------------------------


def test_file_uploads_go_through_store_upload():
    schema = make(field("docs", "file", max=2, required=True))
    stored: list[str] = []

    def store(path, upload):
        stored.append(path)
        if upload.name == "virus.exe":
            raise ValidationError("This kind of file cannot be attached.")
        return {"id": len(stored), "name": upload.name}

    files = [
        SimpleUploadedFile("a.pdf", b"%PDF"),
        SimpleUploadedFile("virus.exe", b"MZ"),
    ]
    result = clean_step(
        schema, "main", post(), {}, uploads={"docs": files}, store_upload=store
    )
    assert stored == ["docs", "docs"]
    assert result.data["docs"] == [{"id": 1, "name": "a.pdf"}]
    assert result.errors == {"docs": ["This kind of file cannot be attached."]}
    # the stored file is kept on the next POST without a new upload
    again = clean_step(schema, "main", post(), result.data)
    assert again.valid and again.data["docs"] == [{"id": 1, "name": "a.pdf"}]
    removed = clean_step(schema, "main", post(), again.data, action="remove:docs.0")
    assert removed.data["docs"] == []
    assert run(schema, removed.data).errors == {"docs": ["Attach Docs."]}


def test_file_maximum():
    schema = make(field("docs", "file", max=1))
    data = {"docs": [{"id": 1, "name": "a.pdf"}]}
    result = clean_step(
        schema,
        "main",
        post(),
        data,
        uploads={"docs": [SimpleUploadedFile("b.pdf", b"x")]},
        store_upload=lambda path, upload: {"name": upload.name},
    )
    assert result.errors == {"docs": ["Attach at most 1 files."]}
    assert result.data["docs"] == [{"id": 1, "name": "a.pdf"}]


# --- My Number ------------------------------------------------------------------


def test_mynumber_valid_and_tolerant():
    schema = make(field("mn", "mynumber", required=True))
    assert run(schema, mn=VALID_MYNUMBER).data["mn"] == VALID_MYNUMBER
    assert run(schema, mn="１２３４ ５６７８－９０１８").data["mn"] == VALID_MYNUMBER


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            "123456789017",
            "This My Number is not right. Check the 12 digits on the card.",
        ),
        ("12345678901", "Enter the 12 digits of the My Number."),
        ("12345678901a", "Enter the 12 digits of the My Number."),
    ],
)
def test_mynumber_refused(raw, message):
    schema = make(field("mn", "mynumber"))
    assert run(schema, mn=raw).errors == {"mn": [message]}


def test_mynumber_is_never_echoed_and_blank_keeps_it():
    schema = make(field("mn", "mynumber", required=True))
    data = {"mn": VALID_MYNUMBER}
    bound = formschema.bound_fields(schema, "main", data, {}, lang="en")[0]
    assert bound.value == ""
    assert bound.masked == "**** **** 9018"
    assert run(schema, data, mn="").data["mn"] == VALID_MYNUMBER


def test_summary_masks_my_number():
    schema = make(field("mn", "mynumber"))
    data = {"mn": VALID_MYNUMBER}
    assert summary(schema, data, lang="ja")[0].value == "**** **** 9018"
    assert summary(schema, data, lang="ja", mask=False)[0].value == "1234 5678 9018"


def test_split_and_join_sensitive():
    schema = make(
        field("mn", "mynumber"),
        field(
            "kids",
            "group",
            fields=[field("kid_name", "text"), field("kid_mn", "mynumber")],
        ),
    )
    data = {
        "mn": VALID_MYNUMBER,
        "kids": [{"kid_name": "a", "kid_mn": VALID_MYNUMBER}, {"kid_name": "b"}],
    }
    without, secrets = split_sensitive(schema, data)
    assert secrets == {"mn": VALID_MYNUMBER, "kids.0.kid_mn": VALID_MYNUMBER}
    assert without == {"kids": [{"kid_name": "a"}, {"kid_name": "b"}]}
    assert VALID_MYNUMBER not in json.dumps(without)
    assert join_sensitive(without, secrets) == data
    assert data["mn"] == VALID_MYNUMBER  # the input is not changed


# --- repeating groups -----------------------------------------------------------


def children_schema(**options: Any) -> FormSchema:
    return make(
        field(
            "children",
            "group",
            item_label=label("児童", "Child"),
            fields=[
                field("child_name", "text", required=True),
                field(
                    "living",
                    "choice",
                    options=[
                        {"value": "together", "label": label("同居", "Together")},
                        {"value": "apart", "label": label("別居", "Apart")},
                    ],
                ),
                field(
                    "child_address",
                    "text",
                    visible_if={"==": [{"var": "living"}, "apart"]},
                    required_if={"==": [{"var": "living"}, "apart"]},
                ),
            ],
            **options,
        )
    )


def test_group_add_and_remove_without_javascript():
    schema = children_schema(max=2)
    added = clean_step(
        schema, "main", post(children___count="0"), {}, action="add:children"
    )
    assert added.data["children"] == [{"child_name": "", "living": ""}]
    assert added.anchor == "f-children-0-child_name"
    assert not added.valid and added.errors == {}
    second = clean_step(
        schema,
        "main",
        post(children___count="1", children__0__child_name="一郎"),
        added.data,
        action="add:children",
    )
    assert [c.get("child_name") for c in second.data["children"]] == ["一郎", ""]
    full = clean_step(
        schema,
        "main",
        post(
            children___count="2",
            children__0__child_name="一郎",
            children__1__child_name="二郎",
        ),
        second.data,
        action="add:children",
    )
    assert len(full.data["children"]) == 2
    assert full.errors == {"children": ["Enter at most 2 entries in Children."]}
    removed = clean_step(
        schema,
        "main",
        post(
            children___count="2",
            children__0__child_name="一郎",
            children__1__child_name="二郎",
        ),
        full.data,
        action="remove:children.0",
    )
    assert [c["child_name"] for c in removed.data["children"]] == ["二郎"]


def test_group_entries_are_checked_with_paths():
    schema = children_schema(min=1)
    result = run(
        schema,
        children___count="2",
        children__0__child_name="一郎",
        children__0__living="apart",
        children__1__child_name="",
    )
    assert result.errors == {
        "children.0.child_address": ["Enter Child_Address."],
        "children.1.child_name": ["Enter Child_Name."],
    }
    assert run(schema, children___count="0").errors == {"children": ["Add Children."]}


def test_group_minimum():
    schema = children_schema(min=2)
    result = run(schema, children___count="1", children__0__child_name="一郎")
    assert result.errors == {"children": ["Add at least 2 entries to Children."]}


def test_group_field_hidden_in_one_entry_is_pruned_only_there():
    schema = children_schema()
    result = run(
        schema,
        children___count="2",
        children__0__child_name="一郎",
        children__0__living="together",
        children__0__child_address="ignored",
        children__1__child_name="二郎",
        children__1__living="apart",
        children__1__child_address="東京都",
    )
    assert result.valid
    assert "child_address" not in result.data["children"][0]
    assert result.data["children"][1]["child_address"] == "東京都"


def test_group_rules_per_entry():
    schema = make(
        field(
            "kids",
            "group",
            fields=[field("age", "number")],
            rules=[
                {
                    "if": {">": [{"var": "age"}, 18]},
                    "field": "age",
                    "message": label("18歳まで", "Up to 18"),
                }
            ],
        )
    )
    result = run(schema, kids___count="2", kids__0__age="5", kids__1__age="19")
    assert result.errors == {"kids.1.age": ["Up to 18"]}


# --- conditions, rules, computed values -----------------------------------------


def spouse_schema() -> FormSchema:
    yes = {"==": [{"var": "has_spouse"}, True]}
    return make(
        field("has_spouse", "checkbox"),
        field("spouse_name", "text", visible_if=yes, required=True),
        field(
            "spouse_works",
            "checkbox",
            visible_if=yes,
        ),
        field(
            "spouse_employer",
            "text",
            visible_if={"==": [{"var": "spouse_works"}, True]},
            required=True,
        ),
    )


def test_invisible_fields_are_not_required_and_pruned():
    schema = spouse_schema()
    result = run(
        schema, spouse_name="花子", spouse_works="on", spouse_employer="市役所"
    )
    assert result.valid
    assert "spouse_name" not in result.data
    assert "spouse_works" not in result.data
    assert "spouse_employer" not in result.data  # hidden by a hidden field
    shown = run(schema, has_spouse="on")
    assert shown.errors == {"spouse_name": ["Enter Spouse_Name."]}


def test_clean_all_prunes_then_checks_everything():
    schema = spouse_schema()
    assert clean_all(schema, {"has_spouse": False, "spouse_name": ""}) == {}
    assert clean_all(schema, {"has_spouse": True}) == {
        "spouse_name": ["Enter Spouse_Name."]
    }
    assert clean_all(schema, {"has_spouse": True, "spouse_name": "x" * 300}) == {
        "spouse_name": ["Enter at most 200 characters (now 300)."]
    }
    assert prune(schema, {"has_spouse": False, "spouse_name": "x", "other": 1}) == {
        "has_spouse": False,
        "other": 1,
    }


def test_required_if():
    schema = make(
        field("purpose", "text"),
        field("detail", "text", required_if={"==": [{"var": "purpose"}, "other"]}),
    )
    assert run(schema, purpose="other").errors == {"detail": ["Enter Detail."]}
    assert run(schema, purpose="job").valid


def test_rules_and_computed_fee():
    schema = make(
        field("copies", "number", min=1, max=10),
        field(
            "fee",
            "computed",
            expression={"*": [{"var": "copies"}, 300]},
            unit=label("円", "yen"),
        ),
        rules=[
            {
                "if": {">": [{"var": "copies"}, 5]},
                "field": "copies",
                "message": label("5通まで", "Up to 5 copies"),
            }
        ],
    )
    result = run(schema, copies="3")
    assert result.valid
    assert result.data["fee"] == 900
    assert compute(schema, {"copies": 2}) == {"fee": 600}
    assert compute(schema, {}) == {"fee": None}
    assert run(schema, copies="6").errors == {"copies": ["Up to 5 copies"]}
    rows = summary(schema, {"copies": 4}, lang="ja")
    assert [(r.label, r.value) for r in rows] == [("copies", "4"), ("fee", "1,200円")]
    assert summary(schema, {"copies": 4}, lang="en")[1].value == "1,200 yen"


def test_computed_age_in_group():
    schema = make(
        field(
            "kids",
            "group",
            fields=[
                field("born", "date"),
                field(
                    "age",
                    "computed",
                    expression={"years_between": [{"var": "born"}, "2024-04-01"]},
                ),
            ],
        )
    )
    values = compute(schema, {"kids": [{"born": "2020-04-02"}, {"born": "2020-04-01"}]})
    assert values == {"kids.0.age": 3, "kids.1.age": 4}


def test_logic_failure_is_not_a_crash():
    schema = make(
        field("a", "number"),
        field("shown", "text", visible_if={"/": [1, {"var": "a"}]}),
        field("c", "computed", expression={"/": [1, {"var": "a"}]}),
    )
    result = run(schema, a="0", shown="x")
    assert result.valid
    assert result.data["c"] is None
    assert result.data["shown"] == "x"  # a failing condition shows the field


# --- summary and rendering ------------------------------------------------------


def test_summary_of_groups():
    schema = children_schema()
    data = {"children": [{"child_name": "一郎", "living": "together"}]}
    rows = summary(schema, data, lang="en")
    assert [(r.kind, r.level, r.label, r.value) for r in rows] == [
        ("group", 0, "Children", "1 entries"),
        ("entry", 0, "Child 1", ""),
        ("field", 1, "Child_Name", "一郎"),
        ("field", 1, "Living", "Together"),
    ]
    assert rows[0].step == "Input"
    rows_ja = summary(schema, data, lang="ja")
    assert [(r.label, r.value) for r in rows_ja[1:]] == [
        ("児童 1", ""),
        ("child_name", "一郎"),
        ("living", "同居"),
    ]
    assert rows_ja[0].step == "入力"


def test_bound_fields_prefill_and_verified():
    schema = make(
        field("name", "text", prefill="name"),
        field("birthdate", "date", prefill="birthdate"),
        field("home", "address", prefill="address"),
    )
    bound = formschema.bound_fields(
        schema,
        "main",
        {},
        {},
        lang="ja",
        prefill={
            "name": "熊本 太郎",
            "birthdate": "1985-04-01",
            "address": "熊本県熊本市中央区千葉城町1-1",
        },
        verified=frozenset({"name"}),
    )
    name, birthdate, home = bound
    assert (name.value, name.verified, name.readonly) == ("熊本 太郎", True, True)
    assert (birthdate.value, birthdate.verified) == ("昭和60年4月1日", False)
    assert [p.value for p in home.parts] == [
        "",
        "熊本県",
        "熊本市中央区",
        "千葉城町1-1",
        "",
    ]
    # a value the citizen changed is not "verified"
    changed = formschema.bound_fields(
        schema,
        "main",
        {"name": "別の名前"},
        {},
        lang="ja",
        prefill={"name": "熊本 太郎"},
        verified=frozenset({"name"}),
    )
    assert changed[0].value == "別の名前" and not changed[0].verified


def test_bound_fields_leave_out_fields_hidden_by_earlier_steps():
    schema = FormSchema(
        {
            "schema": 1,
            "title": label("t"),
            "steps": [
                {
                    "key": "one",
                    "title": label("1"),
                    "fields": [field("has", "checkbox")],
                },
                {
                    "key": "two",
                    "title": label("2"),
                    "fields": [
                        field("detail", "text", visible_if={"var": "has"}),
                        field("local", "checkbox"),
                        field("more", "text", visible_if={"var": "local"}),
                    ],
                },
            ],
        }
    )
    paths = [b.path for b in formschema.bound_fields(schema, "two", {}, {}, lang="en")]
    assert paths == [
        "local",
        "more",
    ]  # "more" depends on this step: the browser decides
    paths = [
        b.path
        for b in formschema.bound_fields(schema, "two", {"has": True}, {}, lang="en")
    ]
    assert paths == ["detail", "local", "more"]


def test_error_summary_links_to_inputs_in_form_order():
    schema = make(
        field("name", "text"),
        field("home", "address"),
        field("pick", "choice", options=OPTIONS),
    )
    links = formschema.error_summary(
        schema,
        {"pick": ["p"], "home.city": ["c"], "name": ["n"], "home": ["h"]},
        lang="en",
    )
    assert [(link.id, link.message) for link in links] == [
        ("f-name", "n"),
        ("f-home-postal_code", "h"),
        ("f-home-city", "c"),
        ("f-pick-0", "p"),
    ]
    assert links[2].text == "Home (City, ward, town or village): c"


# --- definitions ----------------------------------------------------------------


def base_definition(*fields: Any, **top: Any) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "schema": 1,
        "title": label("テスト", "Test"),
        "steps": [
            {"key": "main", "title": label("入力", "Input"), "fields": list(fields)}
        ],
    }
    definition.update(top)
    return definition


def error_paths(definition: Any) -> list[str]:
    return [p.path for p in validate_definition(definition) if p.severity == "error"]


def test_valid_definition_has_no_problems():
    assert validate_definition(base_definition(field("name", "text"))) == []


@pytest.mark.parametrize(
    ("definition", "path"),
    [
        ([], ""),
        (base_definition(field("a", "text"), schema=2), "schema"),
        ({"schema": 1, "title": label("t"), "steps": []}, "steps"),
        (base_definition(field("a", "text"), title={"en": "only English"}), "title.ja"),
        (
            base_definition(field("a", "text"), field("a", "number")),
            "steps.0.fields.1.key",
        ),
        (base_definition(field("Bad-Key", "text")), "steps.0.fields.0.key"),
        (base_definition(field("a", "colour")), "steps.0.fields.0.type"),
        (base_definition({"key": "a", "type": "text"}), "steps.0.fields.0.label"),
        (
            base_definition({"key": "a", "type": "text", "label": {"en": "A"}}),
            "steps.0.fields.0.label.ja",
        ),
        (base_definition(field("a", "choice")), "steps.0.fields.0.options"),
        (
            base_definition(
                field(
                    "a",
                    "choice",
                    options=[
                        {"value": "x", "label": label("x")},
                        {"value": "x", "label": label("y")},
                    ],
                )
            ),
            "steps.0.fields.0.options.1.value",
        ),
        (
            base_definition(field("a", "choice", options=[{"value": "x"}])),
            "steps.0.fields.0.options.0.label",
        ),
        (
            base_definition(field("a", "text", visible_if={"log": [1]})),
            "steps.0.fields.0.visible_if",
        ),
        (
            base_definition(field("a", "text", visible_if={"var": "nothing"})),
            "steps.0.fields.0.visible_if",
        ),
        (
            base_definition(
                field("a", "text", required_if={"==": [1, 1], "!=": [1, 2]})
            ),
            "steps.0.fields.0.required_if",
        ),
        (
            base_definition(field("a", "text", prefill="salary")),
            "steps.0.fields.0.prefill",
        ),
        (base_definition(field("a", "text", width="huge")), "steps.0.fields.0.width"),
        (
            base_definition(field("a", "text", required="yes")),
            "steps.0.fields.0.required",
        ),
        (base_definition(field("a", "number", min=5, max=1)), "steps.0.fields.0.min"),
        (base_definition(field("a", "number", max="ten")), "steps.0.fields.0.max"),
        (base_definition(field("a", "date", min="yesterday")), "steps.0.fields.0.min"),
        (base_definition(field("a", "text", pattern="[")), "steps.0.fields.0.pattern"),
        (base_definition(field("a", "file", accept=".pdf")), "steps.0.fields.0.accept"),
        (base_definition(field("a", "computed")), "steps.0.fields.0.expression"),
        (
            base_definition(
                field("a", "computed", expression={"*": [{"var": "b"}, 2]})
            ),
            "steps.0.fields.0.expression",
        ),
        (base_definition({"key": "s", "type": "static"}), "steps.0.fields.0.text"),
        (base_definition(field("g", "group")), "steps.0.fields.0.fields"),
        (
            base_definition(
                field(
                    "g",
                    "group",
                    fields=[field("h", "group", fields=[field("x", "text")])],
                )
            ),
            "steps.0.fields.0.fields.0",
        ),
        (
            base_definition(
                field("a", "text"),
                rules=[{"if": True, "field": "zzz", "message": label("m")}],
            ),
            "rules.0.field",
        ),
        (
            base_definition(
                field("a", "text"), rules=[{"field": "a", "message": label("m")}]
            ),
            "rules.0.if",
        ),
        (
            base_definition(field("a", "text"), rules=[{"if": True, "field": "a"}]),
            "rules.0.message",
        ),
        (
            {
                "schema": 1,
                "title": label("t"),
                "steps": [
                    {"key": "s", "title": label("1"), "fields": [field("a", "text")]},
                    {"key": "s", "title": label("2"), "fields": [field("b", "text")]},
                ],
            },
            "steps.1.key",
        ),
        (
            {
                "schema": 1,
                "title": label("t"),
                "steps": [{"key": "s", "title": label("1")}],
            },
            "steps.0.fields",
        ),
    ],
)
def test_validate_definition_reports_each_bad_shape(definition, path):
    assert path in error_paths(definition)
    with pytest.raises(InvalidDefinition) as raised:
        FormSchema(definition)
    assert path in [p.path for p in raised.value.problems]


def test_missing_english_and_unknown_options_are_warnings():
    definition = base_definition(
        {"key": "a", "type": "text", "label": {"ja": "名前"}, "colour": "red"}
    )
    problems = validate_definition(definition)
    assert [(p.path, p.severity) for p in problems] == [
        ("steps.0.fields.0.label.en", "warning"),
        ("steps.0.fields.0.colour", "warning"),
    ]
    schema = FormSchema(definition)
    assert len(schema.warnings) == 2
    assert schema.field("a").label("en") == "名前"  # Japanese stands in


def test_schema_navigation():
    schema = children_schema()
    assert schema.step_keys == ["main"]
    assert schema.step("main").title("en") == "Input"
    assert schema.title("ja") == "テスト"
    assert schema.field("children.1.child_name").key == "child_name"
    assert schema.field("children.child_name").group == "children"
    with pytest.raises(KeyError):
        schema.field("child_name")  # nested fields are reached through their group
    with pytest.raises(KeyError):
        schema.step("nope")


def test_json_schema_document_is_json():
    text = json.dumps(formschema.DEFINITION_JSON_SCHEMA)
    assert '"schema"' in text


# --- the demo definitions -------------------------------------------------------

DEMO_FILES = sorted(DEMO_DIR.glob("*.json"))


def test_five_demo_definitions_exist():
    assert [p.name for p in DEMO_FILES] == [
        "hoiku-riyou.json",
        "jidou-teate-genkyo.json",
        "jidou-teate-nintei.json",
        "juminhyo.json",
        "kaigo-nintei.json",
    ]


@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: p.stem)
def test_demo_definition_is_valid_complete_and_renders(path):
    from django.template.loader import render_to_string

    definition = json.loads(path.read_text())
    assert validate_definition(definition) == []  # no warnings either: English complete
    schema = FormSchema(definition)
    for step in schema.steps:
        for lang in ("ja", "en"):
            fields = formschema.bound_fields(schema, step.key, {}, {}, lang=lang)
            html = render_to_string("eforms/_fields.html", {"fields": fields})
            for bound in fields:
                if bound.type not in ("static", "group", "computed"):
                    assert f'id="{bound.id}' in html
    # an empty application is not complete
    assert clean_all(schema, {})


def test_juminhyo_fee_and_rule():
    schema = FormSchema(json.loads((DEMO_DIR / "juminhyo.json").read_text()))
    assert compute(schema, {"copies": 3}) == {"fee": 900}
    errors = clean_all(schema, {"copies": 6, "delivery": "post"})
    assert errors["copies"] == ["By post you can request up to 5 copies."]
