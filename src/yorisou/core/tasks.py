"""Deferred work of the core app (idempotent: sealing twice seals nothing twice)."""

from celery import shared_task

from yorisou.core import audit


@shared_task(name="yorisou.core.tasks.audit_seal", ignore_result=True)
def audit_seal() -> int:
    """Seal committed audit events into the hash chain."""
    return audit.seal()
