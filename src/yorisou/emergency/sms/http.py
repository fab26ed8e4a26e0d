"""The ``http`` gateway: a provider's HTTP API (JSON with a bearer token)."""

import logging

import httpx

from yorisou.emergency.constants import conf
from yorisou.emergency.sms.base import SmsError, SmsGateway, mask_phone, sms_gateways

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0


@sms_gateways.register("http")
class HttpGateway(SmsGateway):
    """POSTs ``{"to", "from", "text"}`` to ``LIVE119["SMS_HTTP_URL"]`` with
    ``Authorization: Bearer LIVE119["SMS_HTTP_TOKEN"]``; any answer but 2xx is an
    error. The provider's id is taken from the answer's ``id`` (or
    ``message_id``) when it sends JSON."""

    def send(self, *, to: str, text: str) -> str:
        url = str(conf("SMS_HTTP_URL") or "")
        if not url:
            raise SmsError("LIVE119_SMS_HTTP_URL is not set")
        headers = {"Accept": "application/json"}
        if conf("SMS_HTTP_TOKEN"):
            headers["Authorization"] = f"Bearer {conf('SMS_HTTP_TOKEN')}"
        payload = {"to": to, "from": str(conf("SMS_SENDER", "")), "text": text}
        try:
            response = httpx.post(
                url, json=payload, headers=headers, timeout=TIMEOUT_SECONDS
            )
        except httpx.HTTPError as exc:
            # The exception text may contain the URL, never the message.
            raise SmsError(f"SMS provider unreachable: {type(exc).__name__}") from None
        if not response.is_success:
            raise SmsError(f"SMS provider answered {response.status_code}")
        message_id = ""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            message_id = str(body.get("id") or body.get("message_id") or "")
        logger.info(
            "SMS to %s accepted by the provider (%s)", mask_phone(to), message_id
        )
        return message_id[:100]
