"""The SMS gateway registry and the interface every gateway implements."""

from yorisou.core.registry import Registry
from yorisou.emergency.constants import conf


class SmsError(Exception):
    """The message was not accepted by the provider (the text says why, without
    the message itself)."""


class SmsGateway:
    """Sends one SMS. Subclasses are registered with ``@sms_gateways.register``."""

    def send(self, *, to: str, text: str) -> str:
        """Send ``text`` to ``to`` (E.164); the provider's id of the message."""
        raise NotImplementedError


sms_gateways: Registry[type[SmsGateway]] = Registry("SMS gateway")


def gateway() -> SmsGateway:
    """The gateway chosen by ``LIVE119["SMS_GATEWAY"]``."""
    return sms_gateways.get(str(conf("SMS_GATEWAY", "outbox")))()


def mask_phone(number: str) -> str:
    """A phone number fit for a log line: only its last four digits."""
    return "*" * max(len(number) - 4, 0) + number[-4:]
