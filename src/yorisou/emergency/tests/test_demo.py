"""The demo loader: guidance videos made at load time, a sample incident with a
unit assigned; running it again keeps what is there."""

import time
from typing import Any

import pytest

from yorisou.accounts.demo import AccountsDemoLoader
from yorisou.accounts.models import User
from yorisou.emergency import selectors
from yorisou.emergency.demo import EmergencyDemoLoader
from yorisou.emergency.models import GuidanceVideo, Incident, UnitAssignment

pytestmark = pytest.mark.usefixtures("live119_settings")


@pytest.mark.django_db
def test_demo_loader_is_idempotent_and_fast() -> None:
    AccountsDemoLoader().load()
    started = time.monotonic()
    assert EmergencyDemoLoader().load() == []
    assert time.monotonic() - started < 5  # the clips take well under 2 s
    EmergencyDemoLoader().load()
    videos = GuidanceVideo.objects.all()
    assert sorted(v.title_ja for v in videos) == [
        "AEDの使い方",
        "心肺蘇生（CPR）の手順",
        "止血の方法",
    ]
    assert all(v.is_sample and v.duration and v.size > 1000 for v in videos)
    incident = Incident.objects.get()
    assert incident.is_sample and incident.is_open
    assert UnitAssignment.objects.get().unit.code == "654010"
    dispatcher = User.objects.get(username="dispatcher")
    unit = User.objects.get(username="fireunit")
    assert list(selectors.incident_list(actor=dispatcher)) == [incident]
    assert list(selectors.unit_incident_list(actor=unit)) == [incident]
    assert len(selectors.guidance_list(actor=dispatcher)) == 3
    state: dict[str, Any] = selectors.incident_state(incident)
    assert state["position"] is not None


@pytest.mark.django_db
def test_demo_loader_without_the_organisation_does_nothing() -> None:
    assert EmergencyDemoLoader().load() == []
    assert not GuidanceVideo.objects.exists()
