"""STUN/TURN servers for a Live119 session, from settings.

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
from typing import Any, cast

from django.conf import settings

from yorisou.emergency.media.base import IceServer


def turn_credentials(
    *, user: str, secret: str, ttl_seconds: int, now: float | None = None
) -> tuple[str, str]:
    """A short-lived TURN ``(username, credential)`` pair for ``user``."""
    expiry = int(now if now is not None else time.time()) + ttl_seconds
    username = f"{expiry}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_servers(*, user: str, now: float | None = None) -> list[IceServer]:
    """The ICE servers of ``LIVE119`` for one browser (or the server's own peer).

    Empty when neither STUN nor TURN is configured (loopback and LAN demos).
    """
    conf = cast(dict[str, Any], settings.LIVE119)
    servers: list[IceServer] = []
    stun_urls: list[str] = list(conf["STUN_URLS"])
    if stun_urls:
        servers.append({"urls": stun_urls})
    turn_urls: list[str] = list(conf["TURN_URLS"])
    if turn_urls and conf["TURN_SECRET"]:
        username, credential = turn_credentials(
            user=user,
            secret=conf["TURN_SECRET"],
            ttl_seconds=conf["TURN_TTL_SECONDS"],
            now=now,
        )
        servers.append(
            {"urls": turn_urls, "username": username, "credential": credential}
        )
    return servers
