"""The Redis cache backend keeps its clients; ``hit`` counts atomically."""

import os
import uuid
from typing import Any

from django.core.cache.backends.locmem import LocMemCache

import pytest

from yorisou.core import cache as core_cache
from yorisou.core.cache import RedisCache

REDIS_URL = os.environ.get("REDIS_URL", "")


@pytest.fixture
def redis_cache() -> Any:
    if not REDIS_URL:
        pytest.skip("REDIS_URL is not set")
    backend = RedisCache(REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"})
    yield backend
    backend.clear()


def test_one_client_per_pool_for_the_process(redis_cache: Any) -> None:
    redis_cache.set("a", 1)
    assert redis_cache.get("a") == 1
    client = redis_cache._cache.get_client(write=True)
    assert redis_cache._cache.get_client(write=True) is client
    assert redis_cache._cache.get_client() is client  # one server: the same pool


def test_hit_counts_in_a_window_with_its_expiry(redis_cache: Any) -> None:
    key = "throttle:probe"
    assert [core_cache.hit(key, 60, redis_cache) for _ in range(3)] == [1, 2, 3]
    client = redis_cache._cache.get_client(write=True)
    ttl = client.ttl(redis_cache.make_key(key))
    assert 0 < ttl <= 60  # set with the first count, not renewed
    client.delete(redis_cache.make_key(key))
    assert core_cache.hit(key, 60, redis_cache) == 1


def test_hit_without_redis_counts_the_same() -> None:
    local = LocMemCache(f"hit-{uuid.uuid4().hex}", {})
    assert [core_cache.hit("k", 60, local) for _ in range(3)] == [1, 2, 3]
