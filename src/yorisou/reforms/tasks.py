"""Deferred work of the reform plan (idempotent tasks)."""

from django.utils import timezone

from celery import shared_task

from yorisou.accounts import selectors as account_selectors
from yorisou.core.constants import Role
from yorisou.reforms import notifications, services
from yorisou.reforms.constants import ReportAction
from yorisou.reforms.models import StatusReport


@shared_task(name="yorisou.reforms.tasks.status_report_notify", ignore_result=True)
def status_report_notify(report_id: int, action: str) -> int:
    """Email the people who act next on a report: the reform office after a
    submission, the bureau's reform lead after a return or an approval."""
    report = (
        StatusReport.objects.select_related(
            "item", "item__plan", "item__org_unit", "period"
        )
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        return 0
    if action == ReportAction.SUBMIT:
        recipients = account_selectors.users_with_role(role=Role.REFORM_OFFICE)
    else:
        recipients = account_selectors.users_with_role(
            role=Role.BUREAU_REFORM_LEAD, covering=report.item.org_unit
        )
        if report.updated_by is not None and report.updated_by not in recipients:
            recipients.append(report.updated_by)
    return notifications.send_review_notice(report, action, recipients)


@shared_task(name="yorisou.reforms.tasks.status_report_reminders", ignore_result=True)
def status_report_reminders() -> int:
    """Send the deadline reminders due today (each only once; see the service)."""
    return services.reminders_send(today=timezone.localdate())
