"""The structured form builder in headless Chromium (htmx, keyboard): an officer
builds a two-step form with a choice and a field shown only for one answer, and
publishes it."""

from typing import Any

import pytest

from yorisou.accounts.tests.factories import TEST_PASSWORD
from yorisou.conftest import errors_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def empty_form(org: dict[str, Any], officer: Any) -> Any:
    """A form of 障がい保健福祉課 with no version yet."""
    from yorisou.eforms import services
    from yorisou.procedures.tests.factories import ProcedureFactory

    procedure = ProcedureFactory(org_unit=org["disability"], name="配偶者の届出")
    return services.form_definition_save(
        actor=officer,
        procedure=procedure,
        slug="spouse-form",
        section=org["disability"],
        assurance="account",
        sla_days=5,
    )


def _focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def _swap(page: Any, action: Any) -> None:
    """Do ``action`` and wait until htmx has swapped the editor in."""
    with page.expect_response(lambda r: "/applications/forms/spouse-form/" in r.url):
        action()
    page.wait_for_timeout(150)  # htmx settles, builder.js moves the focus


def test_build_and_publish_a_two_step_form(
    empty_form: Any, officer: Any, live_server: Any, browser: Any, tmp_path: Any
) -> None:
    from yorisou.eforms.models import FormDefinition

    base = live_server.url
    errors: list[str] = []
    context = browser.new_context(
        locale="ja-JP", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.on("console", errors_to(errors))
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.locator("form button[type=submit].button").last.click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/applications/forms/spouse-form/")

    # the form's title
    page.locator("#builder-form > summary").click()
    page.fill("#builder-form-title", "配偶者の届出書")
    page.fill("#builder-form-title-en", "Spouse notification")
    _swap(page, lambda: page.locator("#builder-form button[type=submit]").click())
    assert _focused(page) == "builder-form-title"

    # the first field of the starting step: labels; the key follows the English
    _swap(page, lambda: page.locator("#bf-text-edit").click())
    assert _focused(page) == "bf-text-editor"
    page.fill("#be-label_ja", "氏名")
    page.fill("#be-label_en", "Full name")
    assert page.input_value("#be-key") == "full_name"
    page.check("#be-required")
    _swap(page, lambda: page.click("#be-save"))
    assert page.locator("#bf-full_name").is_visible()

    # a choice in the same step, with its two options relabelled
    page.locator("#step-step_1 .badd > summary").click()
    page.check("#add-step_1-choice")
    _swap(page, lambda: page.click("#add-step_1-submit"))
    assert _focused(page) == "be-label_ja"
    page.keyboard.type("配偶者の有無")
    page.fill("#be-label_en", "Spouse")
    page.fill("#be-opt_ja-0", "いる")
    page.fill("#be-opt_en-0", "Yes, I have one")
    page.fill("#be-opt_ja-1", "いない")
    page.fill("#be-opt_en-1", "No")
    _swap(page, lambda: page.click("#be-save"))
    preview = page.locator("#preview")
    assert "配偶者の有無" in preview.inner_text() and "いない" in preview.inner_text()

    # a second step whose field is shown only for one answer
    page.locator("#builder-add-step > summary").click()
    page.fill("#builder-add-step-title", "配偶者")
    page.fill("#builder-add-step-title-en", "Spouse details")
    page.select_option("#builder-add-step-type", "text")
    _swap(page, lambda: page.click("#builder-add-step-submit"))
    assert _focused(page) == "be-label_ja"
    page.keyboard.type("配偶者の氏名")
    page.fill("#be-label_en", "Spouse name")
    _swap(
        page, lambda: page.select_option("#be-cond_field", "spouse")
    )  # shows its answers (htmx)
    assert _focused(page) == "be-cond_field"
    page.check("input[name=cond_values][value=yes]")
    _swap(page, lambda: page.click("#be-save"))
    row = page.locator("#bf-spouse_name")
    assert "いる" in row.inner_text()  # "shown only when … is いる"

    # keyboard: move the choice above the name; focus stays on the button
    page.focus("#bf-spouse-up")
    _swap(page, lambda: page.keyboard.press("Enter"))
    assert _focused(page) == "bf-spouse-down"  # it is first now
    page.screenshot(path=str(tmp_path / "builder.png"), full_page=True)

    page.click("#builder-publish")
    page.wait_for_load_state()
    form = FormDefinition.objects.get(slug="spouse-form")
    schema = form.current_version.schema
    assert schema["title"] == {"ja": "配偶者の届出書", "en": "Spouse notification"}
    assert [s["key"] for s in schema["steps"]] == ["step_1", "spouse_details"]
    assert [f["key"] for f in schema["steps"][0]["fields"]] == ["spouse", "full_name"]
    spouse = schema["steps"][0]["fields"][0]
    assert [o["label"]["ja"] for o in spouse["options"]] == ["いる", "いない"]
    assert schema["steps"][1]["fields"][0]["visible_if"] == {
        "==": [{"var": "spouse"}, "yes"]
    }
    assert errors == []
    context.close()
