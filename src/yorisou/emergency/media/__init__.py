"""Live119 media: the backend contract, the registry and the configured backend.

``get_backend()`` returns the process-wide instance of the backend named by
``LIVE119["MEDIA_BACKEND"]`` (``hub`` by default). See docs/live119.md.
"""

from __future__ import annotations

from django.conf import settings

from yorisou.emergency.media.base import (
    PUBLISHER,
    IceServer,
    MediaBackend,
    MediaError,
    MediaStats,
    RecordingInfo,
    SessionDescription,
    media_backends,
)

__all__ = [
    "PUBLISHER",
    "IceServer",
    "MediaBackend",
    "MediaError",
    "MediaStats",
    "RecordingInfo",
    "SessionDescription",
    "get_backend",
    "media_backends",
]

_instances: dict[str, MediaBackend] = {}


def get_backend() -> MediaBackend:
    """The configured media backend; one instance per process and backend id.

    Backends hold peer connections bound to the running event loop, so call this
    from the ASGI process's loop (consumers), not from sync code or Celery.
    """
    # The hub registers itself on import; other backends are imported by the
    # AppConfig (or the module that defines them) before the first call.
    from yorisou.emergency.media import hub  # noqa: F401

    name = str(settings.LIVE119["MEDIA_BACKEND"])
    backend = _instances.get(name)
    if backend is None:
        backend = _instances[name] = media_backends.get(name)()
    return backend
