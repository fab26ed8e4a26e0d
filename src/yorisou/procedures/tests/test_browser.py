"""End to end in headless Chromium: an officer selects candidates, triages one and
sees the funnel change."""

import re

import pytest

from yorisou.accounts.tests.factories import TEST_PASSWORD
from yorisou.conftest import errors_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _count(page, step: str) -> int:
    cell = page.locator(
        f'#funnel-table tr[data-step="{step}"] td[data-col="procedures"]'
    )
    return int(re.sub(r"\D", "", cell.inner_text()))


def test_triage_a_candidate_and_see_the_funnel_change(
    live_server, catalogue, officer, browser
):
    base = live_server.url
    errors: list[str] = []
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    page.on("console", errors_to(errors))
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", officer.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/procedures/triage/")
    page.locator("details summary").first.click()
    page.fill("input[name=fiscal_year]", "2022")
    page.fill("input[name=min_cases]", "400")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{base}/procedures/triage/")
    assert page.locator("#candidate-table tr[data-code]").count() == 3

    page.goto(f"{base}/procedures/funnel/")
    assert _count(page, "candidates") == 3
    assert _count(page, "start_now") == 0

    page.goto(f"{base}/procedures/p/B/")
    page.locator("#triage-details summary").click()
    form = page.locator("#triage-form")
    form.locator('input[name=triage_class][value="start_now"]').check()
    form.locator("select[name=reason]").select_option("high_volume")
    form.locator("input[name=target_fy]").fill("2024")
    form.locator("select[name=status]").select_option("coordinating")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/procedures/p/B/")
    assert "調整中" in page.locator("#current-decision").inner_text()

    page.goto(f"{base}/procedures/funnel/")
    assert _count(page, "start_now") == 1
    page.wait_for_function("document.querySelector('canvas[data-chart]').width > 0")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()
