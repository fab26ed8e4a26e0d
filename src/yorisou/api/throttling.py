"""Rate limits of the API: DRF's ``user`` and ``anon`` rates, counted in fixed
windows with one atomic Redis call per request.

DRF's own throttles keep each client's request times as a list in the cache and
read and write the whole list on every request (for 2,000 requests an hour, a
list of up to 2,000 floats pickled twice per request). Here a request adds one
to the counter of the current window (``core.cache.hit``). As with every fixed
window, a client may spend one window's allowance at its end and the next at
the start of the next one; the rates are set with that in mind.
"""

from typing import Any

from rest_framework import throttling

from yorisou.core import cache


class _FixedWindow:
    rate: str | None
    num_requests: int
    duration: int
    timer: Any

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self._wait = (window + 1) * self.duration - now
        return cache.hit(f"{key}:{window}", self.duration + 1) <= self.num_requests

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


class UserRateThrottle(_FixedWindow, throttling.UserRateThrottle):
    """Per user (or per address without sign-in): ``DEFAULT_THROTTLE_RATES["user"]``."""


class AnonRateThrottle(_FixedWindow, throttling.AnonRateThrottle):
    """Per address without sign-in: ``DEFAULT_THROTTLE_RATES["anon"]``."""
