"""The work after a submission is sent off the request's path, and a periodic
sweep does what was never sent (a killed web process, the broker away)."""

from datetime import timedelta
from typing import Any

from django.core import mail
from django.utils import timezone

import pytest

from yorisou.eforms import services, tasks
from yorisou.eforms.models import Application
from yorisou.eforms.tests.conftest import GOOD

pytestmark = pytest.mark.django_db


def _submit_without_after_work(form: Any, user: Any, key: str) -> Application:
    """A submission whose after-commit work was lost (not run)."""
    application, _created = services.application_submit_data(
        actor=user,
        definition=form,
        data=dict(GOOD),
        idempotency_key=key,
        assurance="account",
    )
    return application


def test_the_sweep_does_the_work_a_lost_task_left(
    form: Any, applicant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # the commit callbacks are captured and never run: the task was never sent
    with django_capture_on_commit_callbacks(execute=False) as lost:
        old = _submit_without_after_work(form, applicant, "sweep-key-0001")
        recent = _submit_without_after_work(form, applicant, "sweep-key-0002")
    assert lost  # there was after-commit work
    Application.objects.filter(pk=old.pk).update(
        submitted_at=timezone.now() - timedelta(minutes=3)
    )
    Application.objects.filter(pk=recent.pk).update(
        submitted_at=timezone.now() - timedelta(seconds=30)
    )
    assert mail.outbox == []

    assert tasks.after_submit_sweep() == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.receipt and old.receipt_sent_at is not None
    assert len(mail.outbox) == 1 and old.reference in mail.outbox[0].subject
    # a recent one may still have its task on the way: not touched yet
    assert recent.receipt_sent_at is None and not recent.receipt
    # once done, never again
    assert tasks.after_submit_sweep() == 0
    assert len(mail.outbox) == 1


def test_the_sweep_goes_on_after_one_failure(
    form: Any, applicant: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        first = _submit_without_after_work(form, applicant, "sweep-key-0003")
        second = _submit_without_after_work(form, applicant, "sweep-key-0004")
    Application.objects.update(submitted_at=timezone.now() - timedelta(minutes=5))
    build = services.receipt_build

    def failing_for_first(*, application_id: int) -> bool:
        if application_id == first.pk:
            raise OSError("disk full")
        return build(application_id=application_id)

    monkeypatch.setattr(services, "receipt_build", failing_for_first)
    assert services.after_submit_sweep() == 1
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.receipt_sent_at is not None and first.receipt_sent_at is None
    monkeypatch.setattr(services, "receipt_build", build)
    assert services.after_submit_sweep() == 1
    first.refresh_from_db()
    assert first.receipt_sent_at is not None


def test_the_sweep_runs_periodically() -> None:
    from django.conf import settings

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "yorisou.eforms.tasks.after_submit_sweep" in scheduled
