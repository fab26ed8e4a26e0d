"""The API's one-step submission: its queries are counted, the token is checked
on every request, the form's state is read every time, and the unique
constraints (not a check in Python) settle a taken reference or key."""

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

import pytest

from yorisou.eforms import references, services
from yorisou.eforms.models import Application
from yorisou.eforms.tests.conftest import GOOD

pytestmark = pytest.mark.django_db
URL = "/api/v1/applications/"


def _client(user: Any) -> Client:
    from rest_framework.authtoken.models import Token

    token = Token.objects.get_or_create(user=user)[0]
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def _post(client: Client, key: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(
        URL,
        {"form": "test-form", "data": data or GOOD},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_a_submission_runs_five_queries_and_a_retry_four(form, applicant):
    client = _client(applicant)
    assert _post(client, "warm-up-0001").status_code == 201  # the form is cached
    with CaptureQueriesContext(connection) as fresh:
        created = _post(client, "count-00001")
    assert created.status_code == 201, created.content
    sql = [q["sql"] for q in fresh.captured_queries]
    # token + user; form; key; the application with its first status (one
    # statement); its audit event (plus the transaction's savepoint statements
    # in the test's transaction)
    writes = [s for s in sql if "SAVEPOINT" not in s]
    # (SQLite writes the application and its status one after the other)
    together = connection.vendor == "postgresql"
    assert len(writes) == (5 if together else 6), sql
    inserts = sum(s.lstrip().startswith(("INSERT", "WITH")) for s in writes)
    assert inserts == (2 if together else 3)
    application = Application.objects.get(pk=created.json()["id"])
    assert [
        (st.seq, st.action, st.from_state, st.to_state, st.actor_id, st.by_applicant)
        for st in application.statuses.all()
    ] == [(1, "submit", "draft", "received", applicant.pk, True)]
    with CaptureQueriesContext(connection) as again:
        retried = _post(client, "count-00001")
    assert retried.status_code == 200 and retried.json()["id"] == created.json()["id"]
    assert len(again) == 4, [q["sql"] for q in again.captured_queries]


def test_a_taken_reference_is_drawn_again(form, applicant, monkeypatch):
    client = _client(applicant)
    first = _post(client, "ref-taken-01").json()
    taken = Application.objects.get(pk=first["id"]).reference
    drawn = iter([taken, taken, "2026-1128-7K4-F9Q-XM2"])
    monkeypatch.setattr(references, "new_reference", lambda on: next(drawn))
    second = _post(client, "ref-taken-02")
    assert second.status_code == 201, second.content
    assert second.json()["reference"] == "2026-1128-7K4-F9Q-XM2"
    made = Application.objects.get(pk=second.json()["id"])
    assert made.statuses.count() == 1
    assert Application.objects.count() == 2


def test_a_key_that_raced_in_answers_with_that_application(
    form, applicant, monkeypatch
):
    from yorisou.eforms import selectors

    client = _client(applicant)
    first = _post(client, "raced-key-01").json()
    # as if the other request inserted between our lookup and our insert
    monkeypatch.setattr(
        selectors, "application_for_key", _first_none(selectors.application_for_key)
    )
    again = _post(client, "raced-key-01")
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert Application.objects.count() == 1


def _first_none(real: Any) -> Any:
    seen = []

    def lookup(**kwargs: Any) -> Any:
        seen.append(kwargs)
        return None if len(seen) == 1 else real(**kwargs)

    return lookup


def test_closing_a_form_stops_submissions_at_once(form, applicant, officer):
    client = _client(applicant)
    assert _post(client, "open-form-01").status_code == 201
    services.form_definition_save(
        actor=officer,
        procedure=form.procedure,
        slug="test-form",
        section=form.section,
        is_open=False,
    )
    assert _post(client, "open-form-02").status_code == 404
    assert Application.objects.count() == 1


def test_a_token_is_checked_on_every_request(form, applicant):
    from rest_framework.authtoken.models import Token

    client = _client(applicant)
    assert _post(client, "token-ok-001").status_code == 201
    applicant.is_active = False
    applicant.save(update_fields=["is_active"])
    refused = _post(client, "token-ok-002")
    # 403, not 401: the session authentication comes first (DRF's rule)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "ユーザが無効か削除されています。"
    applicant.is_active = True
    applicant.save(update_fields=["is_active"])
    Token.objects.filter(user=applicant).delete()
    assert _post(client, "token-ok-003").status_code == 403
    nope = Client(HTTP_AUTHORIZATION="Token nope").get(URL)
    assert nope.status_code == 403
    assert Application.objects.count() == 1
