"""The ``outbox`` gateway: one file per message under ``var/sms/`` (the demo)."""

import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from yorisou.emergency.constants import conf
from yorisou.emergency.sms.base import SmsGateway, mask_phone, sms_gateways

logger = logging.getLogger(__name__)


def outbox_dir() -> Path:
    """Where the messages go: ``LIVE119["SMS_OUTBOX_DIR"]`` or ``var/sms``."""
    configured = conf("SMS_OUTBOX_DIR")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "sms"


@sms_gateways.register("outbox")
class OutboxGateway(SmsGateway):
    """Writes the message to a file readable by the server's user only.

    The file holds the whole text (that is how the demo "receives" the SMS); the
    log line names the file and the last digits of the number only, because the
    text carries the caller's token.
    """

    def send(self, *, to: str, text: str) -> str:
        folder = outbox_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        message_id = uuid.uuid4().hex
        stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
        path = folder / f"{stamp}-{message_id}.txt"
        sender = conf("SMS_SENDER", "")
        path.write_text(f"To: {to}\nFrom: {sender}\n\n{text}\n", encoding="utf-8")
        path.chmod(0o600)
        logger.info("SMS to %s written to the outbox as %s", mask_phone(to), path.name)
        return message_id
