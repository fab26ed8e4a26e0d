"""The one door of Live119 to the channel layer (STYLE.md: one door per app).

State changes are written to the database by services first; then these functions
tell every browser of the incident (the caller, the dispatchers, the units) through
the group ``live119.incident.<id>``. With Redis as the channel layer this works
across every web process; a browser that reconnects asks for the state again.
"""

import asyncio
from typing import Any

from django.db import transaction

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

EVENT_TYPE = "live119.event"


def group_name(incident_id: int) -> str:
    """The channel-layer group of one incident."""
    return f"live119.incident.{int(incident_id)}"


async def ajoin(incident_id: int, channel_name: str) -> None:
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_add(group_name(incident_id), channel_name)


async def aleave(incident_id: int, channel_name: str) -> None:
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_discard(group_name(incident_id), channel_name)


async def apublish(
    incident_id: int, message: dict[str, Any], *, exclude: str = ""
) -> None:
    """Send ``message`` (a protocol message, see docs/live119.md) to every
    browser of the incident; ``exclude`` names a channel that sent it."""
    layer = get_channel_layer()
    if layer is None:
        return
    await layer.group_send(
        group_name(incident_id),
        {"type": EVENT_TYPE, "message": message, "exclude": exclude},
    )


def publish(incident_id: int, message: dict[str, Any]) -> None:
    """:func:`apublish` for synchronous code (services, views)."""
    async_to_sync(apublish)(incident_id, message)


def publish_on_commit(incident_id: int, message: dict[str, Any]) -> None:
    """Publish once the current transaction has committed (never a state the
    database does not have)."""
    transaction.on_commit(lambda: publish(incident_id, message))


def publish_on_commit_nowait(
    incident_id: int, message: dict[str, Any], *, loop: asyncio.AbstractEventLoop
) -> None:
    """:func:`publish_on_commit` for a consumer's database call (a thread of the
    consumer's event loop ``loop``): at commit the message is handed to that loop
    and the thread does not wait for it to be sent. Register it before the other
    work of the transaction that runs at commit (e.g. the audit feed) and the
    message goes first."""

    def hand_over() -> None:
        asyncio.run_coroutine_threadsafe(apublish(incident_id, message), loop)

    transaction.on_commit(hand_over)


async def asend(channel_name: str, message: dict[str, Any]) -> None:
    """Send a protocol message to one connection (e.g. an SDP answer)."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.send(channel_name, {"type": EVENT_TYPE, "message": message})
