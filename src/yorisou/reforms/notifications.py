"""Emails of the reform plan: review notices and deadline reminders (督促).

Called by tasks only. Each message is rendered in the recipient-neutral default
language (Japanese) with the English text below it, as staff mail usually is.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from yorisou.reforms.constants import ReportAction


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _send(template: str, context: dict[str, Any], recipients: Iterable[Any]) -> int:
    addresses = sorted({user.email for user in recipients if user.email})
    if not addresses:
        return 0
    parts = []
    for language in ("ja", "en"):
        with translation.override(language):
            parts.append(render_to_string(f"reforms/email/{template}.txt", context))
    with translation.override("ja"):
        subject = render_to_string(
            f"reforms/email/{template}_subject.txt", context
        ).strip()
    send_mail(
        subject,
        "\n----------------------------------------\n\n".join(parts),
        None,
        addresses,
    )
    return len(addresses)


def send_review_notice(report: Any, action: str, recipients: Iterable[Any]) -> int:
    """Tell the reform office of a submission, or the bureau of a return/approval."""
    template = {
        ReportAction.SUBMIT: "report_submitted",
        ReportAction.RETURN: "report_returned",
        ReportAction.APPROVE: "report_approved",
    }[ReportAction(action)]
    url = _absolute(
        reverse(
            "reforms:item_detail",
            kwargs={"plan": report.item.plan.code, "code": report.item.code},
        )
    )
    return _send(template, {"report": report, "url": url}, recipients)


def send_reminder(due: Any, recipients: Iterable[Any]) -> int:
    """Remind a bureau's reform lead that reports are due soon or overdue."""
    url = _absolute(
        reverse("reforms:worklist", kwargs={"plan": due.period.plan.code})
        + f"?period={due.period.code}"
    )
    return _send("reminder", {"due": due, "url": url}, recipients)
