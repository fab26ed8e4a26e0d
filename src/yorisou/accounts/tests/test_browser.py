"""End to end in headless Chromium: each demo role signs in and sees its home."""

import pytest

from yorisou.conftest import errors_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# role username -> (a menu entry that must show, a menu entry that must not)
EXPECTED = {
    "citizen": (None, "accounts.org_tree"),
    "staff": ("accounts.org_tree", "core.audit"),
    "reformlead": ("accounts.org_tree", "core.audit"),
    "reformoffice": ("core.api_docs", "core.audit"),
    "procedures": ("accounts.org_tree", "accounts.org_import"),
    "dispatcher": ("accounts.org_tree", "core.settings"),
    "fireunit": ("accounts.org_tree", "core.audit"),
    "faqeditor": ("accounts.org_tree", "core.audit"),
    "admin": ("core.audit", None),
}
ROLE_LABEL_JA = {
    "citizen": "市民",
    "staff": "職員",
    "reformlead": "局改革担当",
    "reformoffice": "改革推進課",
    "procedures": "手続担当",
    "dispatcher": "指令員",
    "fireunit": "出場隊",
    "faqeditor": "FAQ編集者",
    "admin": "システム管理者",
}


def test_each_demo_role_signs_in_and_sees_its_home(
    live_server, demo, browser, tmp_path
):
    for username, (must, must_not) in EXPECTED.items():
        context = browser.new_context(
            locale="ja-JP",
            viewport={"width": 390, "height": 844} if username == "citizen" else None,
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("console", errors_to(errors))
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("ユーザー名").fill(username)
        page.get_by_label("パスワード").fill("yorisou-demo")
        page.get_by_role("button", name="ログイン").click()
        page.wait_for_url(f"{live_server.url}/")
        heading = page.locator("h1").inner_text()
        assert heading, username
        assert ROLE_LABEL_JA[username] in page.content() or username == "citizen"
        if must:
            assert page.locator(f'[data-menu="{must}"]').count() >= 1, username
        if must_not:
            assert page.locator(f'[data-menu="{must_not}"]').count() == 0, username
        if username in ("admin", "citizen"):
            page.screenshot(path=str(tmp_path / f"home-{username}.png"), full_page=True)
        # switch to English and back: the choice is remembered
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en"
        page.goto(f"{live_server.url}/")
        assert page.locator("html").get_attribute("lang") == "en"
        assert not [e for e in errors if "Content Security Policy" in e], errors
        context.close()
