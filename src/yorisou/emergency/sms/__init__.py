"""SMS gateways (SMS送信): the one door to the SMS provider.

``sms_gateways`` holds the plugins; ``LIVE119["SMS_GATEWAY"]`` chooses one:

- ``outbox`` writes each message to a file under ``var/sms/`` (the demo, and
  development); the log shows a redacted line, never the link's token;
- ``http`` posts ``{"to", "from", "text"}`` as JSON with a bearer token to
  ``LIVE119["SMS_HTTP_URL"]`` (a provider's HTTP API or a small adapter in front of
  one).

A gateway's ``send`` returns the provider's id of the message and raises
:class:`SmsError` when the message was not accepted.
"""

from yorisou.emergency.sms import http, outbox
from yorisou.emergency.sms.base import (
    SmsError,
    SmsGateway,
    gateway,
    mask_phone,
    sms_gateways,
)

__all__ = [
    "SmsError",
    "SmsGateway",
    "gateway",
    "http",
    "mask_phone",
    "outbox",
    "sms_gateways",
]
