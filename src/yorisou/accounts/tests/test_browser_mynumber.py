"""In headless Chromium, on a phone-sized screen: sign in with the sample My Number
card provider, as a demo visitor would."""

import pytest

from yorisou.accounts.models import VerifiedIdentity
from yorisou.conftest import errors_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_with_the_sample_my_number_card(
    live_server, browser, settings, tmp_path
):
    # The sample provider of this very server, as in `make demo`.
    settings.MYNUMBER_OIDC = {
        **settings.MYNUMBER_OIDC,
        "ISSUER": "/demo-idp",
        "CLIENT_ID": settings.DEMO_IDP["CLIENT_ID"],
        "CLIENT_SECRET": settings.DEMO_IDP["CLIENT_SECRET"],
    }
    base = live_server.url
    context = browser.new_context(
        locale="ja-JP", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", errors_to(errors))

    page.goto(f"{base}/accounts/login/?next=/&assurance=mynumber")
    page.screenshot(path=str(tmp_path / "login-mynumber.png"), full_page=True)
    page.locator('[data-provider="mynumber"]').click()

    page.wait_for_url(f"{base}/demo-idp/authorize?**")
    assert "見本" in page.content()
    page.get_by_label("見本 花子", exact=False).check()
    page.locator("input[name=pin]").fill("1234")
    page.locator("input[name=consent]").check()
    page.screenshot(path=str(tmp_path / "idp.png"), full_page=True)
    page.locator("button[name=approve]").click()

    page.wait_for_url(f"{base}/")
    assert "見本 花子" in page.content()
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    assert VerifiedIdentity.objects.get().name == "見本 花子"
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()
