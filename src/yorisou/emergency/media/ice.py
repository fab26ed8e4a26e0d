"""Short-lived TURN credentials (the pure part; ``selectors.ice_servers`` adds
the settings and the permission check).

TURN uses the "TURN REST API" scheme that coturn implements with
``use-auth-secret`` / ``static-auth-secret``: the username is
``<expiry unix time>:<who>`` and the password is
``base64(HMAC-SHA1(secret, username))``. The web process and coturn share only the
secret; a leaked credential stops working at its expiry (see docs/live119.md,
"STUN/TURN with coturn").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time


def turn_credentials(
    *, user: str, secret: str, ttl_seconds: int, now: float | None = None
) -> tuple[str, str]:
    """A short-lived TURN ``(username, credential)`` pair for ``user``."""
    expiry = int(now if now is not None else time.time()) + ttl_seconds
    username = f"{expiry}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")
