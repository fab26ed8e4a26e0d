"""Take the README's screenshots from a running demo (``make demo``) with Chromium.

Usage: python scripts/screenshots.py [BASE_URL]  (default http://127.0.0.1:8000)
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = [
    # (file, username, path, mobile, language)
    ("login-mobile.png", None, "/accounts/login/", True, "ja"),
    ("home-admin.png", "admin", "/", False, "ja"),
    ("home-citizen-mobile.png", "citizen", "/", True, "ja"),
    ("audit-trail.png", "admin", "/core/audit/", False, "ja"),
    ("home-reformlead-en.png", "reformlead", "/", False, "en"),
    ("reform-dashboard.png", "reformoffice", "/reforms/city-hall-reform/", False, "ja"),
    (
        "reform-indicators.png",
        "reformoffice",
        "/reforms/city-hall-reform/indicators/",
        False,
        "ja",
    ),
    ("procedures-funnel.png", "reformoffice", "/procedures/funnel/", False, "ja"),
    (
        "procedures-search-mobile.png",
        "procedures",
        "/procedures/?q=じどうてあて",
        True,
        "ja",
    ),
    (
        "reform-report-mobile.png",
        "reformlead",
        "/reforms/city-hall-reform/items/1-9-2/report/FY2023-H1/",
        True,
        "ja",
    ),
    ("eforms-portal-mobile.png", "aso", "/applications/", True, "ja"),
    ("eforms-mine-mobile.png", "aso", "/applications/my/", True, "ja"),
    ("eforms-inbox.png", "procedures", "/applications/office/", False, "ja"),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, username, path, mobile, language in SHOTS:
            size = (
                {"width": 390, "height": 844}
                if mobile
                else {"width": 1280, "height": 900}
            )
            context = browser.new_context(viewport=size, locale="ja-JP")
            context.add_cookies(
                [{"name": "yorisou_language", "value": language, "url": BASE}]
            )
            page = context.new_page()
            if username:
                page.goto(f"{BASE}/accounts/login/")
                page.fill("#id_username", username)
                page.fill("#id_password", "yorisou-demo")
                page.click("button[type=submit].button")
                page.wait_for_load_state()
            page.goto(f"{BASE}{path}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / name), full_page=not mobile)
            context.close()
        browser.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
