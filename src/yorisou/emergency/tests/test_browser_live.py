"""A 119 call in two Chromium windows against a real `yorisou serve` (ASGI, with
WebSockets and the media hub), as in the README walkthrough: the dispatcher sends
the SMS link, the caller opens it with a fake camera and a set position, the
dispatcher's video element plays (frames decoded, time advancing) and shows the
position, and a guidance video sent by the dispatcher appears on the caller's
page."""

import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from yorisou.conftest import browser_path, require_component
from yorisou.core.tests.test_multiprocess import _free_port, _process, _wait_http

pytestmark = [pytest.mark.browser]

FAKE_MEDIA = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


@pytest.fixture
def server(tmp_path: Path) -> Any:
    """The demo on SQLite in a fresh folder, served by `yorisou serve`."""
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL")
        },
        "DJANGO_SETTINGS_MODULE": "yorisou.conf.dev",
        "YORISOU_VAR_DIR": str(tmp_path),
    }
    run = [sys.executable, "-m", "yorisou"]
    for command in (["migrate", "-v0"], ["load_demo"]):
        subprocess.run(
            [*run, *command], env=env, check=True, capture_output=True, timeout=300
        )
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    with _process(
        [*run, "serve", "--host", "127.0.0.1", "--port", str(port)], env, log
    ):
        _wait_http(port)
        yield f"http://127.0.0.1:{port}", tmp_path


def _latest_sms(folder: Path) -> str:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return files[-1].read_text(encoding="utf-8") if files else ""


def test_caller_video_position_and_guidance(server: Any, tmp_path: Path) -> None:
    path = browser_path()
    require_component(
        bool(path) and os.path.exists(path), "Chromium", "apt-get install chromium"
    )
    from playwright.sync_api import sync_playwright

    base, var = server
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=FAKE_MEDIA)
        # the console's machine is set to UTC: times still show in the site's zone
        desk = browser.new_context(
            locale="ja-JP", viewport={"width": 1280, "height": 900}, timezone_id="UTC"
        )
        dispatcher = desk.new_page()
        dispatcher.on(
            "console", lambda m: errors.append(m.text) if m.type == "error" else None
        )
        dispatcher.goto(f"{base}/accounts/login/")
        dispatcher.fill("#id_username", "dispatcher")
        dispatcher.fill("#id_password", "yorisou-demo")
        dispatcher.locator("form button[type=submit].button").last.click()
        dispatcher.wait_for_url(f"{base}/")
        dispatcher.goto(f"{base}/live119/")
        dispatcher.locator("a[href*='/live119/incidents/']").first.click()
        dispatcher.locator("form[action$='/invite/'] button[type=submit]").click()
        dispatcher.wait_for_load_state()
        deadline = time.monotonic() + 15
        text = ""
        while time.monotonic() < deadline and "/live119/c/" not in text:
            text = _latest_sms(var / "sms")
            time.sleep(0.2)
        match = re.search(r"/live119/c/[A-Za-z0-9_-]+/", text)
        assert match, text

        phone = browser.new_context(
            locale="ja-JP",
            viewport={"width": 390, "height": 844},
            permissions=["camera", "geolocation"],
            geolocation={"latitude": 32.8031, "longitude": 130.7079, "accuracy": 12},
        )
        caller = phone.new_page()
        caller.on(
            "console", lambda m: errors.append(m.text) if m.type == "error" else None
        )
        caller.goto(f"{base}{match.group(0)}")
        caller.click("#caller-start")

        # the dispatcher's video element decodes frames and its time advances
        dispatcher.wait_for_function(
            "() => { const v = document.querySelector('[data-part=video]');"
            " return v && v.videoWidth > 0 && v.currentTime > 0.5; }",
            timeout=30_000,
        )
        first = dispatcher.evaluate(
            "document.querySelector('[data-part=video]').currentTime"
        )
        time.sleep(1.0)
        later = dispatcher.evaluate(
            "document.querySelector('[data-part=video]').currentTime"
        )
        assert later > first
        dispatcher.wait_for_function(
            "() => document.querySelector('[data-part=lat]').textContent"
            ".startsWith('32.80')",
            timeout=15_000,
        )
        assert dispatcher.locator("[data-part=accuracy]").inner_text() == "12 m"
        shown = dispatcher.locator("[data-part=position-at]").inner_text()
        now = datetime.now(ZoneInfo("Asia/Tokyo"))
        at = datetime.combine(
            now.date(), datetime.strptime(shown, "%H:%M:%S").time(), now.tzinfo
        )
        gap = abs((now - at).total_seconds())
        assert min(gap, 86_400 - gap) < 120, (shown, now)

        # a guidance video sent by the dispatcher plays on the caller's page
        dispatcher.locator("[data-part=guidance-form] button").click()
        caller.wait_for_selector("#caller-guidance:not([hidden])", timeout=15_000)
        assert caller.locator("#caller-guidance-title").inner_text()
        caller.wait_for_function(
            "() => document.getElementById('caller-guidance-video').readyState >= 2",
            timeout=15_000,
        )

        # a chat line; then the state again as a resync sends it (the page's own
        # socket asks for it; the handler gets it marked "resync"): the console
        # does not show the line twice
        dispatcher.fill("[data-part=chat-input]", "すぐ向かいます")
        dispatcher.locator("[data-part=chat-form] button").click()
        caller.wait_for_function(
            "() => document.getElementById('caller-chat-log').textContent"
            ".includes('すぐ向かいます')",
            timeout=15_000,
        )
        dispatcher.wait_for_function(
            "() => document.querySelector('[data-part=chat-log]').children.length"
            " === 1",
            timeout=15_000,
        )
        resynced = dispatcher.evaluate(
            """() => new Promise((resolve) => {
                const signal = document.querySelector(
                  '[data-live119-incident]').live119.signal;
                const original = signal.handlers.state;
                signal.handlers.state = function (m) {
                  signal.handlers.state = original;
                  original(Object.assign({}, m, { resync: true }));
                  resolve(m.chat.length);
                };
                signal.ws.send(JSON.stringify({ type: 'hello' }));
              })"""
        )
        assert resynced == 1
        assert dispatcher.locator("[data-part=chat-log] > *").count() == 1
        dispatcher.screenshot(path=str(tmp_path / "dispatcher.png"), full_page=True)
        caller.screenshot(path=str(tmp_path / "caller.png"), full_page=True)
        browser.close()
    assert errors == [], errors


# Every Content-Security-Policy violation of a page, kept across navigations
# (the console shows them too, but not always with their source).
CSP_WATCH = """
window.addEventListener("securitypolicyviolation", (e) => {
  const seen = JSON.parse(sessionStorage.getItem("csp-violations") || "[]");
  seen.push(["CSP", e.violatedDirective, e.sourceFile, e.lineNumber].join(" "));
  sessionStorage.setItem("csp-violations", JSON.stringify(seen));
}, true);
"""


def test_invites_redraw_without_reload_or_csp_errors(server: Any) -> None:
    """The console's "Video link by SMS" list follows the link (the ``invites``
    event: opened by the caller, withdrawn in another tab) without a reload of
    the page, keeps the focus and what is being typed in the form for a new
    link, and logs no error — no CSP violation above all (htmx's swap of the
    whole page's section copied an old element's style attribute with
    setAttribute, refused by ``style-src 'self'``)."""
    path = browser_path()
    require_component(
        bool(path) and os.path.exists(path), "Chromium", "apt-get install chromium"
    )
    from playwright.sync_api import sync_playwright

    base, var = server
    errors: list[str] = []
    requested: list[str] = []

    def watch(page: Any) -> None:
        page.on(
            "console", lambda m: errors.append(m.text) if m.type == "error" else None
        )
        page.on("pageerror", lambda e: errors.append(str(e)))

    def focused(page: Any) -> str:
        return str(
            page.evaluate(
                "() => { const a = document.activeElement; const f = a.closest('form');"
                " return a.dataset.part || a.id || (f && f.getAttribute('action'))"
                " || a.tagName; }"
            )
        )

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=FAKE_MEDIA)
        desk = browser.new_context(
            locale="ja-JP", viewport={"width": 1280, "height": 900}
        )
        desk.add_init_script(CSP_WATCH)
        console = desk.new_page()
        watch(console)
        console.goto(f"{base}/accounts/login/")
        console.fill("#id_username", "dispatcher")
        console.fill("#id_password", "yorisou-demo")
        console.locator("form button[type=submit].button").last.click()
        console.wait_for_url(f"{base}/")
        console.goto(f"{base}/live119/")
        console.locator("a[href*='/live119/incidents/']").first.click()
        console.wait_for_selector("#invites")
        incident_url = console.url.split("#")[0]
        console.locator("form[action$='/invite/'] button[type=submit]").click()
        console.wait_for_load_state()
        assert console.locator("#invites li").count() == 1
        deadline = time.monotonic() + 15
        text = ""
        while time.monotonic() < deadline and "/live119/c/" not in text:
            text = _latest_sms(var / "sms")
            time.sleep(0.2)
        match = re.search(r"/live119/c/[A-Za-z0-9_-]+/", text)
        assert match, text
        # the SMS went out: the list says so (an ``invites`` event too)
        console.wait_for_function(
            "() => !document.querySelector('#invites .l119-delivery--pending')",
            timeout=15_000,
        )
        console.wait_for_function(
            "() => { const s = document.querySelector('[data-live119-incident]')"
            ".live119.signal; return s.ws && s.ws.readyState === 1; }",
            timeout=15_000,
        )
        console.evaluate("window.stillThisPage = true")
        console.on("request", lambda r: requested.append(r.url.split("#")[0]))
        # a second number being typed, the field styled the way autofill and
        # password-manager extensions do it (CSSOM, allowed by the CSP)
        console.fill("#id_phone", "080-0000-1111")
        console.evaluate(
            "document.getElementById('id_phone').style.backgroundColor"
            " = 'rgb(232, 240, 254)'"
        )
        revoke = console.locator("#invites form[action$='/revoke/']")
        action = revoke.get_attribute("action")
        revoke.locator("button").focus()

        # the caller opens the link: the console counts the opening
        phone = browser.new_context(locale="ja-JP")
        phone.add_init_script(CSP_WATCH)
        caller = phone.new_page()
        watch(caller)
        caller.goto(f"{base}{match.group(0)}")
        console.wait_for_function(
            "() => document.querySelector('#invites li').textContent"
            ".includes('1 回開封')",
            timeout=15_000,
        )
        assert focused(console) == action
        assert console.input_value("#id_phone") == "080-0000-1111"

        # another tab of the desk withdraws it: this one shows it withdrawn
        console.focus("[data-part=chat-input]")
        other = desk.new_page()
        watch(other)
        other.goto(incident_url)
        other.locator(f"#invites form[action='{action}'] button").click()
        other.wait_for_load_state()
        console.wait_for_function(
            "() => document.querySelector('#invites li').textContent"
            ".includes('取消し済み')",
            timeout=15_000,
        )
        assert console.locator("#invites form[action$='/revoke/']").count() == 0
        assert focused(console) == "chat-input"
        assert console.input_value("#id_phone") == "080-0000-1111"
        assert console.evaluate("window.stillThisPage") is True
        # the list alone was fetched, never the whole page again
        assert incident_url not in requested, requested
        assert any(u.endswith("/invites/") for u in requested), requested
        time.sleep(0.5)  # a late redraw would log its errors now
        for page in (console, other, caller):
            errors.extend(
                page.evaluate(
                    "JSON.parse(sessionStorage.getItem('csp-violations') || '[]')"
                )
            )
        browser.close()
    assert errors == [], errors
