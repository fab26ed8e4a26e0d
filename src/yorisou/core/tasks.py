"""Deferred work of the core app (idempotent: sealing twice seals nothing twice)."""

import logging
from typing import Any

from celery import current_app, shared_task

from yorisou.core import audit

logger = logging.getLogger(__name__)


@shared_task(name="yorisou.core.tasks.audit_seal", ignore_result=True)
def audit_seal() -> int:
    """Seal committed audit events into the hash chain."""
    return audit.seal()


@shared_task(name="yorisou.core.tasks.run_many", ignore_result=True)
def run_many(task_name: str, arg_lists: list[list[Any]]) -> int:
    """Run several calls of one task that a web process sent together
    (``core.deferred``). A call that fails is sent again on its own, so it is
    retried with the task's own policy; the others are not held up. Returns how
    many ran here."""
    task = current_app.tasks[task_name]
    run = getattr(task, "_orig_run", task.run)  # without Celery's autoretry wrapper
    ran = 0
    for args in arg_lists:
        try:
            run(*args)
            ran += 1
        except Exception:
            logger.warning(
                "%s failed in a batch; sent again alone", task_name, exc_info=True
            )
            task.apply_async(tuple(args), countdown=1)
    return ran
