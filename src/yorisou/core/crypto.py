"""Encryption at rest for personal data such as My Number (個人番号).

Values are encrypted with Fernet (AES-128-CBC with an HMAC-SHA256, a random IV per
token) under the keys in ``settings.FIELD_ENCRYPTION_KEYS``, newest first: the
newest key encrypts, every key decrypts. To change keys, put a new key in front,
re-encrypt stored tokens with :func:`rotate`, then drop the old key.

Neither plaintexts nor keys ever appear in exception messages, so a failure logged
with its traceback reveals nothing.
"""

import json
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = [
    "DecryptionError",
    "decrypt",
    "decrypt_json",
    "encrypt",
    "encrypt_json",
    "rotate",
]


class DecryptionError(Exception):
    """A token could not be decrypted: it was altered, truncated, or encrypted with
    a key that is no longer in ``FIELD_ENCRYPTION_KEYS``."""


@lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    fernets = []
    for position, key in enumerate(keys):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            # The key itself must not end up in a log.
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS[{position}] is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes)"
            ) from None
    return MultiFernet(fernets)


def _fernet() -> MultiFernet:
    """The MultiFernet for the current setting. Cached by the key list itself, so a
    changed setting (``override_settings`` in tests) builds a new one."""
    keys = settings.FIELD_ENCRYPTION_KEYS
    if isinstance(keys, str):
        keys = [keys]
    return _multi_fernet(tuple(keys))


def encrypt(text: str) -> str:
    """Encrypt *text* with the newest key. Every call gives a different token."""
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """Decrypt a token made by :func:`encrypt` with any configured key.

    Raises :class:`DecryptionError` if the token is invalid or no key fits."""
    try:
        data = _fernet().decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        raise DecryptionError("the token cannot be decrypted") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptionError("the decrypted value is not UTF-8 text") from None


def encrypt_json(value: Any) -> str:
    """Encrypt a JSON-serialisable value (dates and decimals are stored as
    strings, as ``DjangoJSONEncoder`` writes them)."""
    return encrypt(
        json.dumps(
            value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")
        )
    )


def decrypt_json(token: str) -> Any:
    """Decrypt a token made by :func:`encrypt_json` and parse the JSON."""
    text = decrypt(token)
    try:
        return json.loads(text)
    except ValueError:
        raise DecryptionError("the decrypted value is not JSON") from None


def rotate(token: str) -> str:
    """Re-encrypt *token* with the newest key (a token already under the newest
    key gets a fresh one). Raises :class:`DecryptionError` if no key fits."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError):
        raise DecryptionError("the token cannot be decrypted") from None
