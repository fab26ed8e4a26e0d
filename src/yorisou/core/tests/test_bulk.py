"""One-row writes and reads on hot paths: the same rows as the ORM's."""

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from yorisou.accounts.models import RoleAssignment, User
from yorisou.core import bulk
from yorisou.core.constants import Role
from yorisou.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_insert_one_writes_what_save_would(make_user: Any) -> None:
    actor = make_user()
    event = AuditEvent(
        created_at=timezone.now(),
        actor_id=actor.pk,
        actor_repr="probe",
        action="core.probe",
        changes={"a": [1, 2]},
    )
    bulk.insert_one(event)
    assert event.pk is not None and not event._state.adding
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.changes, stored.actor_id) == (
        "core.probe",
        {"a": [1, 2]},
        actor.pk,
    )


def test_fetch_one_builds_the_instance_and_the_extra_columns(make_user: Any) -> None:
    user = make_user(username="fetch-probe")
    sql = f"SELECT {bulk.columns(User, 'u')}, 42 FROM accounts_user u WHERE u.id = %s"  # noqa: S608
    found = bulk.fetch_one(User, sql, [user.pk], "u")
    assert found is not None
    fetched, extra = found
    assert (fetched.pk, fetched.username, fetched.is_active, extra) == (
        user.pk,
        "fetch-probe",
        True,
        (42,),
    )
    assert bulk.fetch_one(User, sql, [-1], "u") is None


def test_insert_with_child_writes_both_in_one_statement() -> None:
    user = User(username="parent-probe", email="parent@example.jp")
    role = RoleAssignment(role=Role.CITIZEN)
    with CaptureQueriesContext(connection) as queries:
        bulk.insert_with_child(user, role, "user")
    statements = [
        q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]
    ]
    assert len(statements) == (1 if connection.vendor == "postgresql" else 2)
    assert user.pk and role.pk and role.user_id == user.pk
    stored = RoleAssignment.objects.select_related("user").get(pk=role.pk)
    assert (stored.user.username, stored.role) == ("parent-probe", Role.CITIZEN)
