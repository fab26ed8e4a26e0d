"""Shared test fixtures: demo-like users per role, components that CI must have."""

import os
import shutil
from collections.abc import Callable
from typing import Any

import pytest

from yorisou.core.constants import Role

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_component(available: bool, what: str, how: str) -> None:
    """Skip a test whose component is missing locally; in CI, fail instead."""
    if available:
        return
    message = f"{what} is not available ({how})"
    if IN_CI:
        pytest.fail(f"CI must not skip: {message}")
    pytest.skip(message)


def postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else ""


def browser_path() -> str:
    return os.environ.get("YORISOU_BROWSER") or shutil.which("chromium") or ""


@pytest.fixture
def org(db: Any) -> dict[str, Any]:
    """A small tree: two bureaus, each with a department and two sections."""
    from yorisou.accounts.tests.factories import OrgUnitFactory

    health = OrgUnitFactory(code="35", name="健康福祉局", level="bureau")
    welfare = OrgUnitFactory(
        code="3510", name="福祉部", level="department", parent=health
    )
    disability = OrgUnitFactory(
        code="351020", name="障がい保健福祉課", level="section", parent=welfare
    )
    elderly = OrgUnitFactory(
        code="351030", name="高齢福祉課", level="section", parent=welfare
    )
    general = OrgUnitFactory(code="20", name="総務局", level="bureau")
    admin_dept = OrgUnitFactory(
        code="2020", name="行政管理部", level="department", parent=general
    )
    reform = OrgUnitFactory(
        code="202010", name="改革プロジェクト推進課", level="section", parent=admin_dept
    )
    info = OrgUnitFactory(
        code="202020", name="情報政策課", level="section", parent=admin_dept
    )
    return {
        "health": health,
        "welfare": welfare,
        "disability": disability,
        "elderly": elderly,
        "general": general,
        "admin_dept": admin_dept,
        "reform": reform,
        "info": info,
    }


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    """``make_user(Role.X, org_unit=…, scope=…)``: a user holding that role."""
    from yorisou.accounts.models import RoleAssignment
    from yorisou.accounts.tests.factories import UserFactory

    def make(
        role: str = Role.STAFF,
        *,
        org_unit: Any = None,
        scope: Any = None,
        **kwargs: Any,
    ) -> Any:
        user = UserFactory(org_unit=org_unit, **kwargs)
        RoleAssignment.objects.create(user=user, role=role, org_unit=scope)
        if role not in (Role.CITIZEN, Role.STAFF):
            RoleAssignment.objects.create(user=user, role=Role.STAFF)
        return user

    return make


@pytest.fixture
def admin_user(make_user: Callable[..., Any], org: dict[str, Any]) -> Any:
    return make_user(Role.SYSTEM_ADMIN, org_unit=org["info"], username="sysadmin")


@pytest.fixture
def staff_user(make_user: Callable[..., Any], org: dict[str, Any]) -> Any:
    return make_user(Role.STAFF, org_unit=org["elderly"], username="clerk")


@pytest.fixture
def citizen(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.CITIZEN, username="hanako")


@pytest.fixture(autouse=True)
def _reset_axes_and_cache() -> Any:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# Browser tests (Playwright driving Debian's chromium) share these.


@pytest.fixture
def browser(monkeypatch: Any) -> Any:
    path = browser_path()
    require_component(
        bool(path) and os.path.exists(path),
        "Chromium",
        "install Debian's chromium (apt-get install chromium) or set YORISOU_BROWSER",
    )
    # Playwright's sync API runs an event loop in this thread; the ORM calls of
    # the live server and fixtures are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def errors_to(errors: list[str]) -> Any:
    def collect(message: Any) -> None:
        if message.type == "error":
            errors.append(message.text)

    return collect


@pytest.fixture
def demo() -> None:
    """The demo data set, loaded before the browser's event loop starts."""
    from io import StringIO

    from django.core.management import call_command

    call_command("load_demo", stdout=StringIO())
