"""Deferred work of the procedure inventory (idempotent tasks)."""

from celery import shared_task


@shared_task(name="yorisou.procedures.tasks.kpi_publish", ignore_result=True)
def kpi_publish() -> int:
    """Push the online-ization KPIs to the reform plan's series."""
    from yorisou.procedures import services

    return int(services.kpi_publish())
