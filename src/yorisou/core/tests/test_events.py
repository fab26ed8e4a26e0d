"""The live audit feed: a committed event reaches the feed group; with a
channel layer across processes it is sent by the process's background publisher,
in order, without the request waiting for Redis."""

import threading
from typing import Any

from django.test import override_settings

import pytest
from channels.layers import BaseChannelLayer, channel_layers, get_channel_layer

from yorisou.core import audit, events
from yorisou.core.permissions import SYSTEM


class _SlowLayer(BaseChannelLayer):
    """Records group messages; each send waits until the test lets it go."""

    extensions = ["groups"]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.go = threading.Event()
        self.threads: set[str] = set()

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self.threads.add(threading.current_thread().name)
        self.go.wait(5)
        self.sent.append((group, message))


SLOW = {"default": {"BACKEND": "yorisou.core.tests.test_events._SlowLayer"}}


@pytest.fixture
def slow_layer():
    with override_settings(CHANNEL_LAYERS=SLOW):
        channel_layers.backends.clear()
        try:
            yield get_channel_layer()
        finally:
            events.flush()
            channel_layers.backends.clear()


@pytest.mark.django_db(transaction=True)
def test_committed_events_are_sent_in_order_off_the_request(slow_layer):
    made = [
        audit.record(actor=SYSTEM, action="test.feed", target_repr=f"thing {i}")
        for i in range(3)
    ]
    # on commit (autocommit: at once) the events are only handed over
    assert slow_layer.sent == []
    slow_layer.go.set()
    assert events.flush(5)
    assert [m["id"] for _g, m in slow_layer.sent] == [e.pk for e in made]
    assert {g for g, _m in slow_layer.sent} == {events.AUDIT_FEED_GROUP}
    assert slow_layer.sent[0][1] == {
        "type": "audit.event",
        "id": made[0].pk,
        "at": made[0].created_at.isoformat(),
        "actor": "system",
        "action": "test.feed",
        "target": "thing 0",
    }
    assert slow_layer.threads == {"yorisou-audit-feed"}


@pytest.mark.django_db
def test_nothing_is_sent_for_a_rolled_back_event(
    slow_layer, django_capture_on_commit_callbacks
):
    slow_layer.go.set()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        audit.record(actor=SYSTEM, action="test.feed")
    assert callbacks  # sent only if the transaction commits
    assert events.flush(5)
    assert slow_layer.sent == []


def test_a_full_queue_drops_and_warns(monkeypatch, caplog):
    layer = _SlowLayer()
    monkeypatch.setattr(events, "MAX_PENDING", 2)
    publisher = events._Publisher()
    for i in range(5):  # one is taken by the thread, two wait, the rest drop
        publisher.put(layer, {"type": "audit.event", "id": i})
    assert publisher.dropped >= 2
    assert "not sent" in caplog.text
    layer.go.set()
    assert publisher.wait_idle(5)
    assert len(layer.sent) == 5 - publisher.dropped


def test_a_failing_layer_does_not_stop_the_publisher(caplog):
    class Broken(_SlowLayer):
        async def group_send(self, group: str, message: dict[str, Any]) -> None:
            if message["id"] == 0:
                raise ConnectionError("redis is away")
            await super().group_send(group, message)

    layer = Broken()
    layer.go.set()
    publisher = events._Publisher()
    publisher.put(layer, {"type": "audit.event", "id": 0})
    publisher.put(layer, {"type": "audit.event", "id": 1})
    assert publisher.wait_idle(5)
    assert [m["id"] for _g, m in layer.sent] == [1]
    assert "was not sent" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_the_in_memory_layer_gets_the_event_at_once():
    from asgiref.sync import async_to_sync

    with override_settings(
        CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    ):
        channel_layers.backends.clear()
        try:
            layer = get_channel_layer()
            channel = async_to_sync(layer.new_channel)()
            async_to_sync(layer.group_add)(events.AUDIT_FEED_GROUP, channel)
            event = audit.record(actor=SYSTEM, action="test.feed")
            message = async_to_sync(layer.receive)(channel)
        finally:
            channel_layers.backends.clear()
    assert message["id"] == event.pk and message["type"] == "audit.event"
