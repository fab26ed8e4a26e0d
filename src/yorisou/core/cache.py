"""The Redis cache backend, and an atomic counter for rate limits.

Django's ``RedisCache`` builds a new redis-py client object for every cache
operation; on a busy API request (session, throttle, seal debounce) that cost
more CPU than the Redis round trips themselves (docs/performance.md, "Online
applications: submit throughput"). :class:`RedisCache` is Django's backend with
one client per connection pool, kept for the process (redis-py's pool is
fork-safe: a forked worker opens its own connections).

:func:`hit` counts one event in a window: one atomic Redis call with this
backend, ``add`` and ``incr`` with any other (the in-process cache of the demo
and the tests).
"""

from typing import Any

from django.core.cache import cache as default_cache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

# INCR, and the expiry set with the first count, in one atomic step (any Redis
# version; a counter can never be left without its expiry).
_HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class _Client(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._hit: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's private helpers (django-stubs does not list them)
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._clients[index] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client

    def hit(self, key: str, timeout: int) -> int:
        client = self.get_client(key, write=True)
        script = self._hit.get(id(client))
        if script is None:
            script = self._hit[id(client)] = client.register_script(_HIT)
        return int(script(keys=[key], args=[max(1, int(timeout))]))


class RedisCache(DjangoRedisCache):
    """Django's Redis cache with its redis-py clients kept (settings ``CACHES``)."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _Client

    def hit(self, key: str, timeout: int, version: int | None = None) -> int:
        client: _Client = self._cache  # type: ignore[assignment]
        return client.hit(self.make_and_validate_key(key, version=version), timeout)


def hit(key: str, timeout: int, cache: Any = None) -> int:
    """Count one event under ``key``; returns the count in the window that the
    first event opened (``timeout`` seconds long)."""
    cache = cache or default_cache
    if isinstance(cache, RedisCache):
        return cache.hit(key, timeout)
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr: a new window
        cache.set(key, 1, timeout=timeout)
        return 1
