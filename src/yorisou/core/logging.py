"""Logging filters: request id on every line, and no secrets or My Number in logs."""

import logging
import re

from yorisou.core import context
from yorisou.core.constants import REDACTED, SENSITIVE_FIELDS

# A 12-digit number (My Number, 個人番号) alone or written with spaces/hyphens.
_MY_NUMBER = re.compile(r"(?<!\d)\d{4}[ -]?\d{4}[ -]?\d{4}(?!\d)")
_KEY_VALUE = re.compile(
    r"(?i)\b(" + "|".join(sorted(SENSITIVE_FIELDS, key=len, reverse=True)) + r")"
    r"(['\"]?\s*[:=]\s*['\"]?)([^\s'\",&;}]+)"
)


def redact(text: str) -> str:
    """Mask 12-digit numbers and ``password=…``-style values in a log message."""
    text = _KEY_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return _MY_NUMBER.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with secrets and My Numbers masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(
                logging.Formatter().formatException(record.exc_info)
            )
            record.exc_info = None
        return True


class RequestContextFilter(logging.Filter):
    """Adds ``request_id`` to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.current().request_id or "-"
        return True
