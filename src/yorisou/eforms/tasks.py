"""Deferred work of online applications. Every task is idempotent: it checks
what was already done, so a retry after a failure does each thing once."""

from celery import shared_task

from yorisou.eforms import services


@shared_task(
    name="yorisou.eforms.tasks.application_submitted",
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=8,
)
def application_submitted(application_id: int) -> None:
    """After a submission: the PDF receipt, the email with it, the statistics."""
    services.application_after_submit(application_id=application_id)


@shared_task(name="yorisou.eforms.tasks.after_submit_sweep", ignore_result=True)
def after_submit_sweep() -> int:
    """Periodic: the work after submission that was never sent (a web process
    killed before it sent its batch, the broker away at that moment)."""
    return services.after_submit_sweep()


@shared_task(
    name="yorisou.eforms.tasks.application_changed",
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=8,
)
def application_changed(application_id: int, action: str) -> None:
    """Tell the applicant about a new state (once per state change)."""
    services.change_notify(application_id=application_id)


@shared_task(
    name="yorisou.eforms.tasks.message_notify",
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=8,
)
def message_notify(message_id: int) -> None:
    """Tell the applicant a message is waiting (the text stays on the site)."""
    services.message_notify(message_id=message_id)


@shared_task(name="yorisou.eforms.tasks.export_build", ignore_result=True)
def export_build(export_id: int) -> None:
    """Build a bulk export file for the back office."""
    services.export_build(export_id=export_id)
