"""The one door of Live119 to the channel layer (STYLE.md: one door per app).

State changes are written to the database by services first; then these functions
tell every browser of the incident (the caller, the dispatchers, the units) through
the group ``live119.incident.<id>``. With Redis as the channel layer this works
across every web process; a browser that reconnects asks for the state again.

Redis pub/sub delivers at most once, so every message is numbered per process and
incident, and the processes exchange heartbeats on ``live119.heartbeat``;
``delivery`` uses both to find lost messages and resync the pages (docs/live119.md,
"Delivery").
"""

import asyncio
from typing import Any

from django.db import transaction

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from yorisou.emergency import delivery

EVENT_TYPE = "live119.event"
HEARTBEAT_TYPE = "live119.heartbeat"
HEARTBEAT_GROUP = "live119.heartbeat"


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
    sender = delivery.sender()
    try:
        await layer.group_send(
            group_name(incident_id),
            {
                "type": EVENT_TYPE,
                "message": message,
                "exclude": exclude,
                **sender.stamp(incident_id),
            },
        )
    finally:
        if not sender.beating:
            # no heartbeat in this process (a task, a web process without Live119
            # sockets): the claim of this message goes at once
            await delivery.send_beat(sender)


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


# --- heartbeats (``delivery``) ----------------------------------------------------


async def abeat(beat: dict[str, Any]) -> None:
    """Publish a heartbeat of this process to every process."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(HEARTBEAT_GROUP, {**beat, "type": HEARTBEAT_TYPE})


async def alisten() -> str:
    """A channel of this process in the heartbeat group (for :func:`areceive`)."""
    layer = get_channel_layer()
    assert layer is not None
    channel: str = await layer.new_channel("live119.heartbeat.")
    await layer.group_add(HEARTBEAT_GROUP, channel)
    return channel


async def areceive(channel: str) -> dict[str, Any]:
    """The next heartbeat on ``channel``."""
    layer = get_channel_layer()
    assert layer is not None
    message: dict[str, Any] = await layer.receive(channel)
    return message


async def aunlisten(channel: str) -> None:
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_discard(HEARTBEAT_GROUP, channel)
