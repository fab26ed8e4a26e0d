"""Incidents: opening, numbering, changes, closing, units and who may do what."""

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

import pytest

from yorisou.core.models import AuditEvent
from yorisou.core.permissions import SYSTEM
from yorisou.emergency import selectors, services
from yorisou.emergency.constants import EventKind, IncidentState
from yorisou.emergency.models import GuidancePlay, Incident, Invite

pytestmark = pytest.mark.usefixtures("live119_settings")


def actions(target: Any) -> list[str]:
    return list(
        AuditEvent.objects.filter(action__startswith="emergency.")
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_incident_open_numbers_per_year_and_stores_e164(dispatcher: Any) -> None:
    first = services.incident_open(
        actor=dispatcher, kind="fire", caller_phone="090-1234-5678"
    )
    second = services.incident_open(actor=dispatcher, kind="rescue")
    year = timezone.localdate().year
    assert first.number == f"{year}-000001"
    assert second.number == f"{year}-000002"
    assert first.caller_phone == "+819012345678"
    assert first.caller_phone_display == "090-1234-5678"
    assert first.centre == dispatcher.org_unit
    assert first.opened_by == dispatcher
    assert [e.kind for e in first.events.all()] == [EventKind.OPENED]
    event = AuditEvent.objects.get(action="emergency.incident.open", target_id=first.pk)
    assert event.changes["kind"] == [None, "fire"]


def test_incident_open_refuses_bad_phone_and_kind(dispatcher: Any) -> None:
    with pytest.raises(ValidationError) as bad_phone:
        services.incident_open(actor=dispatcher, kind="fire", caller_phone="12")
    assert "caller_phone" in bad_phone.value.error_dict
    with pytest.raises(ValidationError) as bad_kind:
        services.incident_open(actor=dispatcher, kind="flood")
    assert "kind" in bad_kind.value.error_dict
    assert not Incident.objects.exists()


def test_only_dispatchers_of_the_centre_open_incidents(
    dispatcher: Any, other_dispatcher: Any, chuo_unit: Any, staff_user: Any, fire: Any
) -> None:
    for actor in (chuo_unit, staff_user):
        with pytest.raises(PermissionDenied):
            services.incident_open(actor=actor, kind="fire")
    with pytest.raises(PermissionDenied):
        services.incident_open(
            actor=other_dispatcher, kind="fire", centre=fire["centre"]
        )


def test_incident_update_records_the_diff(dispatcher: Any, incident: Any) -> None:
    services.incident_update(
        actor=dispatcher, incident=incident, kind="fire", address="東区1-1"
    )
    incident.refresh_from_db()
    assert incident.kind == "fire"
    event = AuditEvent.objects.get(action="emergency.incident.update")
    assert event.changes == {
        "address": ["中央区手取本町1-1", "東区1-1"],
        "kind": ["medical", "fire"],
    }
    # nothing changed: nothing recorded
    services.incident_update(actor=dispatcher, incident=incident, kind="fire")
    assert AuditEvent.objects.filter(action="emergency.incident.update").count() == 1


def test_incident_close_ends_invites_and_guidance(
    dispatcher: Any,
    incident: Any,
    sent_invite: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        closed = services.incident_close(
            actor=dispatcher, incident=incident, reason="搬送"
        )
    assert closed.state == IncidentState.CLOSED
    assert closed.closed_by == dispatcher
    assert Invite.objects.get(pk=sent_invite.pk).revoked_at is not None
    assert not GuidancePlay.objects.filter(stopped_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="emergency.incident.close")
    assert event.changes["invites_ended"] == [None, 1]
    with pytest.raises(ValidationError):
        services.incident_close(actor=dispatcher, incident=incident)
    with pytest.raises(ValidationError):
        services.incident_update(actor=dispatcher, incident=incident, notes="x")


def test_unit_assign_gives_the_unit_access_and_release_takes_it(
    dispatcher: Any, incident: Any, chuo_unit: Any, higashi_unit: Any, fire: Any
) -> None:
    with pytest.raises(Incident.DoesNotExist):
        selectors.incident_get(actor=chuo_unit, pk=incident.pk)
    assignment = services.unit_assign(
        actor=dispatcher, incident=incident, unit=fire["chuo"]
    )
    assert selectors.incident_get(actor=chuo_unit, pk=incident.pk) == incident
    assert selectors.can_view(chuo_unit, incident)
    assert not selectors.can_dispatch(chuo_unit, incident)
    # another station's unit gets nothing
    with pytest.raises(Incident.DoesNotExist):
        selectors.incident_get(actor=higashi_unit, pk=incident.pk)
    assert list(selectors.unit_incident_list(actor=chuo_unit)) == [incident]
    assert list(selectors.unit_incident_list(actor=higashi_unit)) == []
    with pytest.raises(ValidationError):  # already assigned
        services.unit_assign(actor=dispatcher, incident=incident, unit=fire["chuo"])
    services.unit_release(actor=dispatcher, assignment=assignment)
    services.unit_release(actor=dispatcher, assignment=assignment)  # idempotent
    with pytest.raises(Incident.DoesNotExist):
        selectors.incident_get(actor=chuo_unit, pk=incident.pk)
    assert actions(incident).count("emergency.unit.release") == 1
    # assigned again after the release
    services.unit_assign(actor=dispatcher, incident=incident, unit=fire["chuo"])


def test_only_fire_units_can_be_assigned(
    dispatcher: Any, incident: Any, fire: Any
) -> None:
    choices = set(selectors.unit_choices(actor=dispatcher, incident=incident))
    assert choices == {fire["chuo"], fire["higashi"]}
    with pytest.raises(ValidationError):
        services.unit_assign(actor=dispatcher, incident=incident, unit=fire["general"])


def test_units_and_other_centres_cannot_dispatch(
    dispatcher: Any,
    other_dispatcher: Any,
    incident: Any,
    chuo_unit: Any,
    fire: Any,
) -> None:
    services.unit_assign(actor=dispatcher, incident=incident, unit=fire["chuo"])
    with pytest.raises(Incident.DoesNotExist):
        selectors.incident_get(actor=other_dispatcher, pk=incident.pk)
    for actor in (other_dispatcher, chuo_unit):
        with pytest.raises(PermissionDenied):
            services.incident_close(actor=actor, incident=incident)
        with pytest.raises(PermissionDenied):
            services.incident_update(actor=actor, incident=incident, notes="x")
        with pytest.raises(PermissionDenied):
            services.invite_send(actor=actor, incident=incident)
        with pytest.raises(PermissionDenied):
            services.unit_assign(actor=actor, incident=incident, unit=fire["higashi"])
    assert list(selectors.incident_list(actor=other_dispatcher)) == []


def test_system_admin_sees_no_incidents(admin_user: Any, incident: Any) -> None:
    with pytest.raises(Incident.DoesNotExist):
        selectors.incident_get(actor=admin_user, pk=incident.pk)
    assert selectors.incident_get(actor=SYSTEM, pk=incident.pk) == incident


def test_incident_list_runs_a_fixed_number_of_queries(
    dispatcher: Any,
    chuo_unit: Any,
    higashi_unit: Any,
    fire: Any,
    django_assert_max_num_queries: Any,
) -> None:
    def read(actor: Any) -> int:
        rows = list(selectors.incident_list(actor=actor))
        return sum(len(i.active_assignments) + len(str(i.centre)) for i in rows)

    def add(n: int) -> None:
        for _ in range(n):
            incident = services.incident_open(actor=dispatcher, kind="fire")
            services.unit_assign(actor=dispatcher, incident=incident, unit=fire["chuo"])
            services.unit_assign(
                actor=dispatcher, incident=incident, unit=fire["higashi"]
            )

    add(2)
    dispatcher.refresh_from_db()
    read(dispatcher)  # roles cached
    with django_assert_max_num_queries(3):
        read(dispatcher)
    add(8)
    with django_assert_max_num_queries(3):
        read(dispatcher)
    read(chuo_unit)
    with django_assert_max_num_queries(3):
        assert len(list(selectors.incident_list(actor=chuo_unit))) == 10


def test_incident_state_is_json_and_hides_notes_from_the_caller(
    dispatcher: Any, incident: Any, fire: Any
) -> None:
    services.unit_assign(actor=dispatcher, incident=incident, unit=fire["chuo"])
    services.position_record(
        actor=dispatcher, incident=incident, lat=32.8, lng=130.7, accuracy=10
    )
    services.chat_post(actor=dispatcher, incident=incident, text="聞こえますか")
    state = selectors.incident_state(incident)
    json.dumps(state)
    assert state["incident"]["notes"] == "60代男性"
    assert state["position"]["lat"] == 32.8
    assert len(state["track"]) == 1
    assert state["units"][0]["name"] == "中央消防署"
    assert state["chat"][0]["sender"] == "dispatcher"
    assert state["recording"] is False and state["guidance"] is None
    caller = selectors.incident_state(incident, for_caller=True)
    json.dumps(caller)
    assert "notes" not in caller["incident"]
    assert "caller_phone" not in caller["incident"]
    assert "track" not in caller
    assert caller["chat"][0]["author"] == ""
    assert caller["units"] == 1
