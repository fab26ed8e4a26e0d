"""``yorisou.conf.production`` with the benchmark's own Redis key prefixes.

Used by ``benchmarks/live119_signalling.py`` (``--settings``) for the two server
processes and for the setup it does itself, so that the benchmark's channel-layer
groups and cache keys (Redis db 6 by default) never meet another installation's.
Without ``BENCH_*`` variables it is ``yorisou.conf.production`` with the prefix
``yorisou_bench_live119``.

- ``BENCH_PREFIX``: the channel layer's ``prefix`` and the cache's ``KEY_PREFIX``;
- ``BENCH_CHANNEL_BACKEND=lists``: channels_redis's list-based
  ``RedisChannelLayer`` (the production default before proposal 7) instead of
  the configured pub/sub layer, with the options it had then (``socket_timeout``
  15 s, a pool of 1,000 connections, ``capacity`` 1,000; change them with
  ``BENCH_CHANNEL_SOCKET_TIMEOUT``, ``BENCH_CHANNEL_MAX_CONNECTIONS`` and
  ``BENCH_CHANNEL_CAPACITY``): four round trips to send a group message and
  one ``BZPOPMIN`` round trip per message and receiving socket;
- ``BENCH_SKIP_DISPATCH_CLOSE=1``: channels' ``AsyncConsumer.dispatch`` no longer
  hops to the sync thread for ``close_old_connections`` before every message
  (since proposal 4 the Live119 consumers do this themselves, so it changes
  nothing for them);
- ``BENCH_THREAD_SENSITIVE=0``: ``channels.db.database_sync_to_async`` runs the
  consumers' database calls in a pool of threads instead of the process's one
  shared thread (``thread_sensitive=False``), without changing ``src/``: the
  consumers import the name after the settings are loaded. A proposal under
  measurement, not a setting of the product.
"""

import os

from yorisou.conf.production import *  # noqa: F403
from yorisou.conf.production import CACHES, CHANNEL_LAYERS

_prefix = os.environ.get("BENCH_PREFIX", "yorisou_bench_live119")
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = _prefix
CACHES["default"]["KEY_PREFIX"] = _prefix
if os.environ.get("BENCH_CHANNEL_BACKEND") == "lists":
    _address = CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"]
    CHANNEL_LAYERS["default"] = {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": _address,
                    "socket_timeout": float(
                        os.environ.get("BENCH_CHANNEL_SOCKET_TIMEOUT", "15")
                    ),
                    "max_connections": int(
                        os.environ.get("BENCH_CHANNEL_MAX_CONNECTIONS", "1000")
                    ),
                }
            ],
            "prefix": _prefix,
            "capacity": int(os.environ.get("BENCH_CHANNEL_CAPACITY", "1000")),
        },
    }
if os.environ.get("BENCH_SKIP_DISPATCH_CLOSE") == "1":
    import channels.db

    async def _no_hop() -> None:
        return None

    # channels.consumer imports the name when the consumers are imported (later)
    channels.db.aclose_old_connections = _no_hop
if os.environ.get("BENCH_THREAD_SENSITIVE") == "0":
    from collections.abc import Callable
    from typing import Any

    import channels.db

    def _in_a_pool(func: Callable[..., Any], **_: Any) -> Any:
        return channels.db.DatabaseSyncToAsync(func, thread_sensitive=False)

    channels.db.database_sync_to_async = _in_a_pool
