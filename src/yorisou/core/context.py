"""Per-request context (request id, client address) for the audit trail and logs."""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    """Who is asking, from where; set by the middleware, read by audit and logs."""

    request_id: str = ""
    client_ip: str | None = None


_current: ContextVar[RequestContext] = ContextVar(
    "yorisou_request",
    default=RequestContext(),  # noqa: B039
)


def current() -> RequestContext:
    """The context of the request being served (empty outside a request)."""
    return _current.get()


def set_current(ctx: RequestContext) -> object:
    """Set the context; returns a token for :func:`reset`."""
    return _current.set(ctx)


def reset(token: object) -> None:
    """Restore the context that was in force before :func:`set_current`."""
    _current.reset(token)  # type: ignore[arg-type]
