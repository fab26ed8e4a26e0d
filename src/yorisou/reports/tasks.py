"""Deferred work of the report generator (idempotent tasks)."""

from celery import shared_task


@shared_task(name="yorisou.reports.tasks.report_build", ignore_result=True)
def report_build(report_id: int) -> None:
    """Build the file of a requested report."""
    from yorisou.reports import services

    services.report_build_file(report_id=report_id)
