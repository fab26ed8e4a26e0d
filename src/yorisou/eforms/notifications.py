"""Emails to applicants (called by tasks only). Japanese first, English below.

Emails name the procedure, the reference and the new state and link to マイページ;
they never carry the answers themselves (personal data stays on the site).
"""

from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def send_to_applicant(
    application: Any,
    template: str,
    context: dict[str, Any] | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> int:
    """Send ``eforms/email/<template>.txt`` to the applicant (0 without email)."""
    address = getattr(application.applicant, "email", "")
    if not address:
        return 0
    context = {
        "application": application,
        "url": _absolute(reverse("eforms:mine_detail", kwargs={"pk": application.pk})),
        "city": settings.YORISOU["CITY_NAME"] or settings.YORISOU["SITE_NAME"],
        **(context or {}),
    }
    parts = []
    for language in ("ja", "en"):
        with translation.override(language):
            context["procedure_name"] = (
                application.definition.procedure.name_en
                if language == "en" and application.definition.procedure.name_en
                else application.definition.procedure.name
            )
            parts.append(render_to_string(f"eforms/email/{template}.txt", context))
    with translation.override("ja"):
        context["procedure_name"] = application.definition.procedure.name
        subject = render_to_string(
            f"eforms/email/{template}_subject.txt", context
        ).strip()
    message = EmailMessage(
        subject,
        "\n----------------------------------------\n\n".join(parts),
        None,
        [address],
    )
    for name, content, mimetype in attachments or []:
        message.attach(name, content, mimetype)
    message.send()
    return 1
