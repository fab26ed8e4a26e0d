"""``yorisou.conf.production`` with the benchmark's own Redis key prefixes.

Used by ``benchmarks/live119_signalling.py`` (``--settings``) for the two server
processes and for the setup it does itself, so that the benchmark's channel-layer
groups and cache keys (Redis db 6 by default) never meet another installation's.
Without ``BENCH_*`` variables it is ``yorisou.conf.production`` with the prefix
``yorisou_bench_live119``.

- ``BENCH_PREFIX``: the channel layer's ``prefix`` and the cache's ``KEY_PREFIX``;
- ``BENCH_CHANNEL_CAPACITY=N``: the channel layer's ``capacity`` (default 100);
- ``BENCH_CHANNEL_SOCKET_TIMEOUT=S``: the channel layer's Redis ``socket_timeout``
  (redis-py 8 defaults to 5 s, the same as channels_redis' ``BZPOPMIN`` timeout);
- ``BENCH_CHANNEL_MAX_CONNECTIONS=N``: the channel layer's Redis pool size
  (redis-py 8: 100 per process; beyond it ``MaxConnectionsError``, not a wait);
- ``BENCH_SKIP_DISPATCH_CLOSE=1``: channels' ``AsyncConsumer.dispatch`` no longer
  hops to the sync thread for ``close_old_connections`` before every message
  (``database_sync_to_async`` does it anyway around each database call); since
  proposal 4 was applied the Live119 consumers do this themselves, so it changes
  nothing for them;
- ``BENCH_CHANNEL_BACKEND=pubsub``: ``channels_redis.pubsub.RedisPubSubChannelLayer``
  instead of ``RedisChannelLayer`` (same Redis, same prefix): a group message is
  one ``PUBLISH``, and each process reads what it subscribed to as a stream and
  hands it to its own consumers, instead of four round trips to send and one
  ``BZPOPMIN`` round trip per message and receiving socket; at most once, no
  capacity or expiry (a page that reconnects asks for the state anyway);
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
if os.environ.get("BENCH_CHANNEL_CAPACITY"):
    CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] = int(
        os.environ["BENCH_CHANNEL_CAPACITY"]
    )
_pool: dict[str, object] = {}
if os.environ.get("BENCH_CHANNEL_SOCKET_TIMEOUT"):
    _pool["socket_timeout"] = float(os.environ["BENCH_CHANNEL_SOCKET_TIMEOUT"])
if os.environ.get("BENCH_CHANNEL_MAX_CONNECTIONS"):
    _pool["max_connections"] = int(os.environ["BENCH_CHANNEL_MAX_CONNECTIONS"])
if _pool:
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [
        {"address": host, **_pool}
        for host in CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]
    ]
if os.environ.get("BENCH_CHANNEL_BACKEND") == "pubsub":
    CHANNEL_LAYERS["default"] = {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": CHANNEL_LAYERS["default"]["CONFIG"]["hosts"],
            "prefix": _prefix,
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
