"""The whole journey in headless Chromium: a citizen applies on a phone-sized
screen, staff ask for a correction, the citizen fixes it, staff approve, and the
citizen sees 承認 on My page."""

from typing import Any

import pytest

from yorisou.accounts.tests.factories import TEST_PASSWORD
from yorisou.conftest import errors_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(context: Any, base: str, username: str) -> Any:
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.locator("form button[type=submit].button").last.click()
    page.wait_for_url(f"{base}/")
    return page


def test_apply_correct_approve(
    form: Any,
    applicant: Any,
    officer: Any,
    live_server: Any,
    browser: Any,
    tmp_path: Any,
) -> None:
    base = live_server.url
    errors: list[str] = []

    phone = browser.new_context(locale="ja-JP", viewport={"width": 390, "height": 844})
    citizen = _sign_in(phone, base, applicant.username)
    citizen.on("console", errors_to(errors))
    citizen.goto(f"{base}/applications/")
    citizen.get_by_role("link", name="テスト申請書").click()
    citizen.locator("form[action$='/start/'] button").click()
    citizen.fill("input[name=name]", "熊本 太郎")
    citizen.fill("input[name=birthdate]", "平成2年4月1日")
    citizen.fill("input[name=my_number]", "1234 5678 9018")
    citizen.locator("form.eform button[value=next].button").click()
    citizen.wait_for_url("**/step/request/")
    citizen.fill("input[name=copies]", "3")
    citizen.locator("form.eform button[value=next].button").click()
    citizen.wait_for_url("**/review/")
    assert "900" in citizen.content()
    citizen.screenshot(path=str(tmp_path / "review.png"), full_page=True)
    citizen.get_by_role("button", name="申請する").click()
    citizen.wait_for_url("**/done/")
    reference = citizen.locator("#reference").inner_text().strip()
    assert reference

    desk = browser.new_context(locale="ja-JP")
    staff = _sign_in(desk, base, "officer")
    staff.on("console", errors_to(errors))
    staff.goto(f"{base}/applications/office/")
    staff.get_by_role("link", name=reference).click()
    staff.locator("form.case-action:has(input[value=start_review]) button").click()
    correction = staff.locator("form.case-action:has(input[value=request_correction])")
    correction.locator("summary").click()
    correction.locator("input[name=flagged][value=copies]").check()
    correction.locator("textarea[name=reason]").fill("通数を1通に訂正してください。")
    correction.locator("button").click()
    assert staff.locator("#app-state").inner_text() == "補正依頼中"

    citizen.goto(f"{base}/applications/my/")
    citizen.get_by_role("link", name="テスト申請書").click()
    assert "通数を1通に訂正してください。" in citizen.content()
    citizen.get_by_role("link", name="回答を訂正する").click()
    citizen.locator(".card__link").first.click()
    citizen.fill("input[name=copies]", "1")
    citizen.locator("form.eform button[value=next].button").click()
    citizen.wait_for_url("**/correct/")
    citizen.get_by_role("button", name="訂正を送信する").click()

    staff.reload()
    assert staff.locator("#app-state").inner_text() == "審査中"
    staff.locator("form.case-action:has(input[value=approve]) button").click()
    assert staff.locator("#app-state").inner_text() == "承認"

    citizen.reload()
    assert citizen.locator("#app-state").inner_text() == "承認"
    citizen.screenshot(path=str(tmp_path / "approved.png"), full_page=True)
    assert errors == []


@pytest.fixture
def mynumber_form(form: Any, officer: Any) -> Any:
    """The test form, needing the My Number card (set before the browser starts)."""
    from yorisou.eforms import services

    return services.form_definition_save(
        actor=officer,
        procedure=form.procedure,
        slug=form.slug,
        section=form.section,
        assurance="mynumber",
        sla_days=5,
        is_open=True,
    )


def test_my_number_card_sign_in_prefills_verified_answers(
    mynumber_form: Any, settings: Any, live_server: Any, browser: Any, tmp_path: Any
) -> None:
    # the sample provider of this very server, as in `make demo`
    settings.MYNUMBER_OIDC = {
        **settings.MYNUMBER_OIDC,
        "ISSUER": "/demo-idp",
        "CLIENT_ID": settings.DEMO_IDP["CLIENT_ID"],
        "CLIENT_SECRET": settings.DEMO_IDP["CLIENT_SECRET"],
    }
    base = live_server.url
    phone = browser.new_context(locale="ja-JP", viewport={"width": 390, "height": 844})
    page = phone.new_page()
    errors: list[str] = []
    page.on("console", errors_to(errors))
    page.goto(f"{base}/applications/f/test-form/")
    page.locator("form[action$='/start/'] button").click()
    page.wait_for_url("**/accounts/login/?**")
    page.locator('[data-provider="mynumber"]').click()
    page.wait_for_url(f"{base}/demo-idp/authorize?**")
    page.get_by_label("見本 花子", exact=False).check()
    page.locator("input[name=pin]").fill("1234")
    page.locator("input[name=consent]").check()
    page.locator("button[name=approve]").click()
    page.wait_for_url("**/applications/f/test-form/")
    page.locator("form[action$='/start/'] button").click()
    page.wait_for_url("**/step/applicant/")
    assert page.input_value("input[name=name]") == "見本 花子"
    assert page.locator("#field-name").get_by_text("確認済み").count() >= 1
    page.screenshot(path=str(tmp_path / "prefilled.png"), full_page=True)
    assert errors == []
