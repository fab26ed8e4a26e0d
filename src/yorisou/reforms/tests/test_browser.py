"""End to end in headless Chromium on the demo plan: a bureau's reform lead writes
and submits a report, the reform office approves it, the dashboard counts it."""

import pytest

from yorisou.conftest import errors_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLAN = "city-hall-reform"


def _sign_in(context, base: str, username: str):
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "yorisou-demo")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{base}/")
    return page


def _on_plan_count(page, base: str) -> int:
    page.goto(f"{base}/reforms/{PLAN}/?period=FY2023-H1")
    return int(
        page.locator(
            '#status-summary [data-status="on_plan"] .stat__value'
        ).inner_text()
    )


def test_draft_submit_approve_shows_on_the_dashboard(
    live_server, demo, browser, tmp_path
):
    base = live_server.url
    errors: list[str] = []

    office_context = browser.new_context(locale="ja-JP")
    office = _sign_in(office_context, base, "reformoffice")
    office.on("console", errors_to(errors))
    before = _on_plan_count(office, base)
    # the demo's FY2022 figures are the seed's, computed from approved reports
    office.goto(f"{base}/reforms/{PLAN}/?period=FY2022")
    summary = office.locator("#status-summary")
    assert summary.locator('[data-status="on_plan"] .stat__value').inner_text() == "108"
    assert summary.locator('[data-status="changed"] .stat__value').inner_text() == "29"
    assert summary.locator('[data-status="total"] .stat__value').inner_text() == "137"
    office.wait_for_function("document.querySelector('canvas[data-chart]').width > 0")
    office.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    lead_context = browser.new_context(
        locale="ja-JP", viewport={"width": 390, "height": 844}
    )
    lead = _sign_in(lead_context, base, "reformlead")
    lead.on("console", errors_to(errors))
    lead.goto(f"{base}/reforms/{PLAN}/worklist/?period=FY2023-H1")
    row = lead.locator('#worklist-table tr[data-state="none"]').first
    code = row.get_attribute("data-code")
    row.locator("a.button").click()
    lead.check('input[name=status][value="on_plan"]')
    lead.fill("input[name=progress]", "60")
    lead.fill("textarea[name=narrative]", "ブラウザテストで報告")
    lead.locator("button[name=submit]").click()
    lead.wait_for_url("**/worklist/**")
    assert (
        lead.locator(f'#worklist-table tr[data-code="{code}"]').get_attribute(
            "data-state"
        )
        == "submitted"
    )

    office.goto(f"{base}/reforms/{PLAN}/review/")
    card = office.locator(f'article[data-code="{code}"][data-period="FY2023-H1"]')
    card.locator("textarea[name=comment]").fill("確認しました")
    card.locator("button[type=submit]").first.click()
    office.wait_for_load_state()
    assert office.locator(f'article[data-code="{code}"]').count() == 0
    assert _on_plan_count(office, base) == before + 1
    assert not [e for e in errors if "Content Security Policy" in e], errors
    lead_context.close()
    office_context.close()
