import io
import itertools
import logging

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

import pytest

from yorisou.accounts import services as account_services
from yorisou.core import audit
from yorisou.core.models import AuditChainHead, AuditEvent
from yorisou.core.permissions import SYSTEM


def _events(n: int) -> list[AuditEvent]:
    return [
        audit.record(
            actor=SYSTEM,
            action="test.thing",
            target_repr=f"thing {i}",
            changes={"n": [i, i + 1]},
        )
        for i in range(n)
    ]


@pytest.mark.django_db
def test_record_stores_actor_action_target_changes_and_context(staff_user):
    from yorisou.core import context

    token = context.set_current(context.RequestContext("req-123456789", "10.1.2.3"))
    try:
        event = audit.record(
            actor=staff_user,
            action="x.update",
            target=staff_user,
            changes=audit.diff({"a": 1, "b": 2}, {"a": 1, "b": 3}),
        )
    finally:
        context.reset(token)
    event.refresh_from_db()
    assert event.actor_id == staff_user.pk
    assert event.actor_repr == "clerk"
    assert event.target_type == "accounts.user"
    assert event.target_id == str(staff_user.pk)
    assert event.changes == {"b": [2, 3]}
    assert event.request_id == "req-123456789"
    assert event.client_ip == "10.1.2.3"


@pytest.mark.django_db
def test_seal_chains_events_in_order_and_is_idempotent():
    _events(5)
    AuditEvent.objects.update(seq=None, hash="", prev_hash="")
    AuditChainHead.objects.all().delete()
    assert audit.seal() == 5
    assert audit.seal() == 0
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert audit.verify().ok


@pytest.mark.django_db
def test_seal_works_in_batches():
    _events(7)
    audit.seal(batch=3)
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 0
    assert AuditChainHead.objects.get().last_seq == 7


@pytest.mark.django_db
def test_audit_verify_names_an_edited_event():
    events = _events(4)
    audit.seal()
    victim = events[2]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET target_repr = %s WHERE id = %s",
            ["forged", victim.pk],
        )
    with pytest.raises(CommandError) as excinfo:
        call_command("audit_verify")
    assert f"event #{victim.pk}" in str(excinfo.value)
    assert "changed after sealing" in str(excinfo.value)


@pytest.mark.django_db
def test_audit_verify_names_a_deleted_event():
    events = _events(4)
    audit.seal()
    seq = AuditEvent.objects.get(pk=events[1].pk).seq
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    result = audit.verify()
    assert not result.ok
    assert result.broken_seq == seq
    assert "missing" in result.problem


@pytest.mark.django_db
def test_audit_verify_detects_deleted_tail():
    events = _events(3)
    audit.seal()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[-1].pk])
    assert "deleted" in audit.verify().problem


@pytest.mark.django_db
def test_audit_verify_succeeds_on_intact_chain():
    _events(3)
    out = io.StringIO()
    call_command("audit_verify", "--seal", stdout=out)
    assert "intact" in out.getvalue()


@pytest.mark.django_db
def test_password_never_reaches_trail_or_logs(staff_user, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "Very-Secret-Pass-42"
    account_services.user_password_change(
        actor=staff_user, user=staff_user, new_password=secret
    )
    event = AuditEvent.objects.get(action="accounts.user.password_change")
    assert event.changes == {"password": ["[redacted]", "[redacted]"]}
    dump = str(list(AuditEvent.objects.values()))
    assert secret not in dump
    assert staff_user.password not in dump  # not even the hash
    assert secret not in caplog.text


@pytest.mark.django_db
def test_sensitive_fields_are_redacted_in_changes():
    event = audit.record(
        actor=SYSTEM,
        action="t",
        changes={"my_number": ["", "123456789018"], "token": ["a", "b"]},
    )
    assert event.changes == {
        "my_number": ["[redacted]", "[redacted]"],
        "token": ["[redacted]", "[redacted]"],
    }
