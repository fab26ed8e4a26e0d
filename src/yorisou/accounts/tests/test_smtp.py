"""The password-reset email goes out through a real SMTP conversation."""

import socket

from django.test import override_settings
from django.urls import reverse

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list = []

    def handle_message(self, message) -> None:
        self.messages.append(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.mark.django_db
def test_password_reset_mail_is_delivered_over_smtp(client, staff_user, smtp_server):
    controller, inbox = smtp_server
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=controller.hostname,
        EMAIL_PORT=controller.port,
        EMAIL_USE_TLS=False,
        EMAIL_TIMEOUT=5,
    ):
        response = client.post(
            reverse("accounts:password_reset"), {"email": staff_user.email}
        )
    assert response.status_code == 302
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == staff_user.email
    body = message.get_payload(decode=True).decode()
    assert "/accounts/password/reset/" in body
