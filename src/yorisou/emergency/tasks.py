"""Deferred work of Live119. Every task is idempotent: it checks what was already
done, so running it twice does each thing once."""

from datetime import date

from celery import shared_task

from yorisou.emergency import services


@shared_task(name="yorisou.emergency.tasks.invite_deliver", ignore_result=True)
def invite_deliver(invite_id: int, token: str, base_url: str) -> None:
    """Send the SMS of an invite (once: a sent or failed invite is left alone).

    The token travels in the task message because the database keeps only its
    hash; the task checks that it belongs to the invite before sending.
    """
    services.invite_deliver(invite_id=invite_id, token=token, base_url=base_url)


@shared_task(name="yorisou.emergency.tasks.recordings_purge", ignore_result=True)
def recordings_purge(today: str | None = None) -> int:
    """Delete recordings past their retention period (daily, from the beat)."""
    return services.recordings_purge(today=date.fromisoformat(today) if today else None)
