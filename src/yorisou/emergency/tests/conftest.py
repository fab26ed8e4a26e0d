"""Fixtures of the Live119 tests: a fire bureau with its command centre and two
stations, a second city's centre, dispatchers of both, units of both stations.

Tests that write files use ``live119_settings`` (files under ``tmp_path``).
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from yorisou.core.constants import Role


@pytest.fixture
def live119_settings(settings: Any, tmp_path: Path) -> dict[str, Any]:
    settings.LIVE119 = {
        **settings.LIVE119,
        "RECORDINGS_ROOT": tmp_path / "live119",
        "SMS_OUTBOX_DIR": tmp_path / "sms",
        "SMS_GATEWAY": "outbox",
        "INVITE_MINUTES": 30,
        "INVITE_MAX_OPENS": 20,
        "INVITE_RATE_PER_HOUR": 5,
        "STUN_URLS": [],
        "TURN_URLS": [],
        "TURN_SECRET": "",
        "RECORDING_RETENTION_DAYS": 90,
    }
    settings.SITE_URL = "https://city.example.jp"
    return dict(settings.LIVE119)


@pytest.fixture
def fire(db: Any) -> dict[str, Any]:
    """消防局 > 警防部 > 情報司令課 (the centre), 消防署 > 中央 / 東消防署, and the
    centre of another city's fire bureau."""
    from yorisou.accounts.tests.factories import OrgUnitFactory

    bureau = OrgUnitFactory(code="65", name="消防局", level="bureau")
    ops = OrgUnitFactory(code="6520", name="警防部", level="department", parent=bureau)
    centre = OrgUnitFactory(
        code="652030", name="情報司令課", level="section", parent=ops
    )
    stations = OrgUnitFactory(
        code="6540", name="消防署", level="department", parent=bureau
    )
    chuo = OrgUnitFactory(
        code="654010", name="中央消防署", level="section", parent=stations
    )
    higashi = OrgUnitFactory(
        code="654020", name="東消防署", level="section", parent=stations
    )
    general = OrgUnitFactory(code="651010", name="総務課", level="section", parent=ops)
    other_bureau = OrgUnitFactory(code="75", name="隣市消防局", level="bureau")
    other_ops = OrgUnitFactory(
        code="7520", name="隣市警防部", level="department", parent=other_bureau
    )
    other_centre = OrgUnitFactory(
        code="752030", name="隣市情報司令課", level="section", parent=other_ops
    )
    return {
        "bureau": bureau,
        "centre": centre,
        "chuo": chuo,
        "higashi": higashi,
        "general": general,
        "other_centre": other_centre,
    }


@pytest.fixture
def dispatcher(make_user: Callable[..., Any], fire: dict[str, Any]) -> Any:
    return make_user(Role.DISPATCHER, org_unit=fire["centre"], username="shirei")


@pytest.fixture
def other_dispatcher(make_user: Callable[..., Any], fire: dict[str, Any]) -> Any:
    return make_user(Role.DISPATCHER, org_unit=fire["other_centre"], username="rinshi")


@pytest.fixture
def chuo_unit(make_user: Callable[..., Any], fire: dict[str, Any]) -> Any:
    return make_user(
        Role.FIRE_UNIT, org_unit=fire["chuo"], scope=fire["chuo"], username="chuo"
    )


@pytest.fixture
def higashi_unit(make_user: Callable[..., Any], fire: dict[str, Any]) -> Any:
    return make_user(
        Role.FIRE_UNIT,
        org_unit=fire["higashi"],
        scope=fire["higashi"],
        username="higashi",
    )


@pytest.fixture
def incident(dispatcher: Any, chuo_unit: Any, higashi_unit: Any) -> Any:
    """An open incident of the centre (units exist, none assigned)."""
    from yorisou.emergency import services

    return services.incident_open(
        actor=dispatcher,
        kind="medical",
        caller_phone="090-1234-5678",
        address="中央区手取本町1-1",
        notes="60代男性",
    )


@pytest.fixture
def sent_invite(
    live119_settings: Any,
    dispatcher: Any,
    incident: Any,
    django_capture_on_commit_callbacks: Any,
) -> Any:
    """An invite whose SMS went to the outbox; ``.token`` is set."""
    from yorisou.emergency import services

    with django_capture_on_commit_callbacks(execute=True):
        return services.invite_send(actor=dispatcher, incident=incident)


@pytest.fixture
def sample_mp4() -> bytes:
    from yorisou.emergency.demo import SAMPLE_VIDEOS, sample_video_bytes

    content, _ = sample_video_bytes(SAMPLE_VIDEOS[0])
    return content
