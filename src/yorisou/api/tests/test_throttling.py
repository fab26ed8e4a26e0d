"""The API's rate limits: counted per user (or address) in fixed windows."""

from typing import Any

from django.core.cache import cache
from django.test import Client

import pytest

from yorisou.api import throttling
from yorisou.core.constants import Role

pytestmark = pytest.mark.django_db
URL = "/api/v1/applications/"


@pytest.fixture(autouse=True)
def _fresh_counts() -> Any:
    cache.clear()
    yield
    cache.clear()


def _client(user: Any) -> Client:
    from rest_framework.authtoken.models import Token

    token = Token.objects.get_or_create(user=user)[0]
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def test_a_user_over_the_rate_gets_429_with_the_wait(
    make_user: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(
        throttling.UserRateThrottle, "THROTTLE_RATES", {"user": "3/hour"}
    )
    first, second = make_user(Role.CITIZEN), make_user(Role.CITIZEN)
    client = _client(first)
    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(URL)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    # counted per user: another citizen is not held back
    assert _client(second).get(URL).status_code == 200


def test_the_next_window_starts_afresh(make_user: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(
        throttling.UserRateThrottle, "THROTTLE_RATES", {"user": "2/minute"}
    )
    clock = [1_000_000.0]
    monkeypatch.setattr(throttling.UserRateThrottle, "timer", lambda self: clock[0])
    client = _client(make_user(Role.CITIZEN))
    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 429]
    clock[0] += 60
    assert client.get(URL).status_code == 200
