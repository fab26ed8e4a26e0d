"""Live119 signalling through Redis (the production channel layer).

1. One process, the channels_redis layer: every protocol message of a call goes
   through Redis (msgpack), and a message ``events.publish`` sends from a plain
   thread (its own event loop and Redis connection, as a Celery worker) reaches
   the consumer.
2. Redis pub/sub loses a message (at most once): a chat line dropped on its way,
   or published while the process's subscription was killed (``CLIENT KILL``;
   redis-py subscribes again silently), still reaches the open console — in the
   state it is sent again after the heartbeat's claim shows the gap.
3. Two ``yorisou serve`` processes on PostgreSQL and Redis (``integration``): the
   caller's socket on server A, the dispatcher's on server B; chat crosses both
   ways and the state after a reconnect comes from the database. No media: the
   hub keeps an incident's peers in one process (docs/live119.md).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import uuid
from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.test import override_settings

import httpx
import pytest
import websockets

from yorisou.conftest import postgres_url, require_component
from yorisou.emergency import events, services
from yorisou.emergency.models import ChatMessage, Incident, Invite
from yorisou.emergency.tests.test_signalling import (
    Socket,
    caller_path,
    incident_path,
    run,
    session_cookie,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("live119_settings", "fresh_process_state"),
]

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
WAIT = 15.0


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


LAYERS = {
    "core": "channels_redis.core.RedisChannelLayer",
    # one PUBLISH per group message (docs/performance.md, Live119 signalling)
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}


def _redis_layer(prefix: str, kind: str = "core") -> dict[str, Any]:
    return {
        "BACKEND": LAYERS[kind],
        "CONFIG": {"hosts": [REDIS_URL], "prefix": prefix},
    }


@pytest.fixture
def fresh_process_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from channels.layers import channel_layers

    from yorisou.emergency import media

    monkeypatch.setattr(media, "_instances", {})
    monkeypatch.setattr(channel_layers, "backends", {})
    yield


@pytest.fixture(params=sorted(LAYERS))
def redis_layer(settings: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """A channels_redis layer (lists, or pub/sub) with a prefix of this test's
    own."""
    require_component(
        _redis_up(), "Redis", f"start Redis or set REDIS_URL ({REDIS_URL})"
    )
    prefix = f"yorisou-sig-{uuid.uuid4().hex[:12]}"
    settings.CHANNEL_LAYERS = {"default": _redis_layer(prefix, request.param)}
    yield prefix
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)


def _publish_from_a_thread(incident_id: int) -> None:
    """``events.publish`` as sync code elsewhere calls it (a view, a Celery task):
    its own thread and event loop, hence its own Redis connection."""
    errors: list[BaseException] = []

    def publish() -> None:
        try:
            events.publish(incident_id, {"type": "incident", "note": "other"})
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=publish)
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive() and not errors, errors


def test_call_signalling_through_redis(
    redis_layer: str, dispatcher: Any, incident: Incident, sent_invite: Invite
) -> None:
    token = str(sent_invite.token)
    session = session_cookie(dispatcher)

    async def scenario() -> dict[str, Any]:
        caller = Socket(caller_path(token))
        assert (await caller.connect())[0]
        await caller.hello()
        console = Socket(incident_path(incident), session=session)
        assert (await console.connect())[0]
        await console.hello()
        await caller.send({"type": "position", "lat": 32.8, "lng": 130.7, "at": 1})
        position = await console.expect("position", timeout=WAIT)
        await caller.send({"type": "chat", "text": "助けて"})
        chat = await console.expect("chat", timeout=WAIT)
        await console.send({"type": "chat", "text": "向かいます"})
        reply = await caller.expect("chat", sender="dispatcher", timeout=WAIT)
        await asyncio.to_thread(_publish_from_a_thread, incident.pk)
        other = await console.expect("incident", note="other", timeout=WAIT)
        await console.send({"type": "end"})
        ended = await caller.expect("ended", timeout=WAIT)
        await console.expect("ended", timeout=WAIT)
        await console.disconnect()
        await caller.disconnect()
        return {
            "position": position,
            "chat": chat,
            "reply": reply,
            "other": other,
            "ended": ended,
        }

    result = run(scenario, timeout=30)

    assert result["position"]["lat"] == pytest.approx(32.8)
    assert result["chat"]["text"] == "助けて"
    assert result["reply"]["text"] == "向かいます"
    assert result["other"]["note"] == "other"
    assert result["ended"]["reason"] == "live_end"


# --- a message lost by Redis pub/sub -------------------------------------------------

HEARTBEAT = 0.2  # seconds: the claim is checked two heartbeats after it was heard


@pytest.fixture
def pubsub_layer(settings: Any) -> Iterator[str]:
    """The production layer (pub/sub) on a prefix of this test's own; its Redis
    connections carry the prefix as their client name (to find and kill them)."""
    require_component(
        _redis_up(), "Redis", f"start Redis or set REDIS_URL ({REDIS_URL})"
    )
    prefix = f"yorisou-loss-{uuid.uuid4().hex[:12]}"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": LAYERS["pubsub"],
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "client_name": prefix}],
                "prefix": prefix,
            },
        }
    }
    settings.LIVE119 = {**settings.LIVE119, "HEARTBEAT_SECONDS": HEARTBEAT}
    yield prefix


def _chat_lost_on_the_way(
    kill_subscription: str, dispatcher: Any, incident: Incident, token: str
) -> dict[str, Any]:
    """The caller sends two chat lines; the second one never reaches the console
    live (see ``lose``); returns what the console got."""
    from channels.layers import get_channel_layer

    session = session_cookie(dispatcher)

    async def scenario() -> dict[str, Any]:
        caller = Socket(caller_path(token))
        assert (await caller.connect())[0]
        await caller.hello()
        console = Socket(incident_path(incident), session=session)
        assert (await console.connect())[0]
        await console.hello()
        await caller.send({"type": "chat", "text": "1階です"})
        first = await console.expect("chat", timeout=WAIT)
        layer = get_channel_layer()
        original = layer.group_send
        lost: list[int] = []

        async def lose(group: str, message: dict[str, Any]) -> None:
            if lost or (message.get("message") or {}).get("type") != "chat":
                await original(group, message)
                return
            lost.append(message["seq"])
            if kill_subscription:
                # blocking (the loop cannot subscribe again meanwhile): kill the
                # process's subscription, publish the line to nobody
                import redis

                client = redis.Redis.from_url(REDIS_URL)
                subscribers = [
                    c["id"]
                    for c in client.client_list(_type="pubsub")
                    if c["name"] == kill_subscription
                ]
                assert subscribers
                for client_id in subscribers:
                    client.client_kill_filter(_id=client_id)
                heard = client.publish(
                    f"{kill_subscription}__group__{group}", layer.serialize(message)
                )
                assert heard == 0
                client.close()

        layer.group_send = lose
        await caller.send({"type": "chat", "text": "2階の奥です"})
        state = await console.expect("state", resync=True, timeout=WAIT)
        # a heartbeat later the live stream flows again (subscribed again)
        await caller.send({"type": "chat", "text": "急いで"})
        third = await console.expect("chat", timeout=WAIT)
        await console.disconnect()
        await caller.disconnect()
        return {
            "first": first,
            "lost": lost,
            "state": state,
            "third": third,
            "live": [m["text"] for m in console.received if m["type"] == "chat"],
        }

    return run(scenario, timeout=40)


def test_a_dropped_chat_line_reaches_the_open_console_by_resync(
    pubsub_layer: str, dispatcher: Any, incident: Incident, sent_invite: Invite
) -> None:
    result = _chat_lost_on_the_way("", dispatcher, incident, str(sent_invite.token))

    assert result["first"]["text"] == "1階です"
    assert len(result["lost"]) == 1
    assert [m["text"] for m in result["state"]["chat"]] == ["1階です", "2階の奥です"]
    assert result["third"]["text"] == "急いで"
    assert result["live"] == ["1階です", "急いで"]


def test_a_chat_line_published_while_the_subscription_was_killed_is_resynced(
    pubsub_layer: str, dispatcher: Any, incident: Incident, sent_invite: Invite
) -> None:
    result = _chat_lost_on_the_way(
        pubsub_layer, dispatcher, incident, str(sent_invite.token)
    )

    assert len(result["lost"]) == 1
    assert [m["text"] for m in result["state"]["chat"]] == ["1階です", "2階の奥です"]
    assert result["third"]["text"] == "急いで"
    assert result["live"] == ["1階です", "急いで"]


# --- two server processes ----------------------------------------------------------


@pytest.fixture
def servers_env(tmp_path: Any) -> dict[str, str]:
    require_component(
        bool(postgres_url()), "PostgreSQL", "set DATABASE_URL=postgres://…"
    )
    require_component(
        bool(os.environ.get("REDIS_URL")) and _redis_up(),
        "Redis",
        "set REDIS_URL=redis://127.0.0.1:6379/0",
    )
    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@"
            f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "yorisou.conf.dev",
        "SECRET_KEY": "integration-test-secret-key-shared-by-all-processes-0123456789",
        "FIELD_ENCRYPTION_KEYS": "zQ6yO3oXb8cJ1WwQ0m1l3cUe2dH3m4dYkqW1xQm9ZkQ=",
        "YORISOU_VAR_DIR": str(tmp_path),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }


async def _expect(ws: Any, kind: str, **fields: Any) -> dict[str, Any]:
    async def wait() -> dict[str, Any]:
        while True:
            message = dict(json.loads(await ws.recv()))
            if message.get("type") == kind and all(
                message.get(k) == v for k, v in fields.items()
            ):
                return message

    return await asyncio.wait_for(wait(), WAIT)


@pytest.mark.integration
def test_chat_crosses_two_server_processes(
    servers_env: dict[str, str],
    tmp_path: Any,
    dispatcher: Any,
    incident: Incident,
    sent_invite: Invite,
) -> None:
    from yorisou.core.tests.test_multiprocess import (
        _free_port,
        _process,
        _wait_http,
    )

    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    ):
        dispatcher.set_password("correct-horse-battery")
        dispatcher.save()
    token = str(sent_invite.token)
    port_a, port_b = _free_port(), _free_port()
    log = (tmp_path / "servers.log").open("w")
    serve = [sys.executable, "-m", "yorisou", "serve", "--host", "127.0.0.1", "--port"]
    with (
        _process([*serve, str(port_a)], servers_env, log),
        _process([*serve, str(port_b)], servers_env, log),
    ):
        _wait_http(port_a)
        _wait_http(port_b)
        a = httpx.Client(base_url=f"http://127.0.0.1:{port_a}")
        login = a.get("/accounts/login/")
        signed_in = a.post(
            "/accounts/login/",
            data={
                "username": dispatcher.username,
                "password": "correct-horse-battery",
                "csrfmiddlewaretoken": a.cookies["csrftoken"],
            },
            headers={"Referer": str(login.url)},
        )
        assert signed_in.status_code == 302, signed_in.text[:500]
        session = a.cookies["sessionid"]
        # the caller opens the SMS link's page on server A
        assert a.get(f"/live119/c/{token}/").status_code == 200

        async def scenario() -> dict[str, Any]:
            async with (
                websockets.connect(
                    f"ws://127.0.0.1:{port_a}{caller_path(token)}",
                    additional_headers={"Origin": f"http://127.0.0.1:{port_a}"},
                ) as caller,
                websockets.connect(
                    f"ws://127.0.0.1:{port_b}{incident_path(incident)}",
                    additional_headers={
                        "Origin": f"http://127.0.0.1:{port_b}",
                        "Cookie": f"sessionid={session}",
                    },
                ) as console,
            ):
                # ``state`` answers ``hello`` once each socket is in the group
                await caller.send(json.dumps({"type": "hello"}))
                await _expect(caller, "state")
                await console.send(json.dumps({"type": "hello"}))
                await _expect(console, "state")
                await caller.send(json.dumps({"type": "chat", "text": "2階です"}))
                on_b = await _expect(console, "chat", sender="caller")
                await console.send(json.dumps({"type": "chat", "text": "了解"}))
                on_a = await _expect(caller, "chat", sender="dispatcher")
            # a console that reconnects to server A gets the chat from the database
            async with websockets.connect(
                f"ws://127.0.0.1:{port_a}{incident_path(incident)}",
                additional_headers={
                    "Origin": f"http://127.0.0.1:{port_a}",
                    "Cookie": f"sessionid={session}",
                },
            ) as again:
                await again.send(json.dumps({"type": "hello"}))
                state = await _expect(again, "state")
            return {"on_b": on_b, "on_a": on_a, "state": state}

        result = asyncio.run(scenario())

    assert result["on_b"]["text"] == "2階です"
    assert result["on_a"]["text"] == "了解"
    assert result["on_a"]["author"] == ""
    assert [m["text"] for m in result["state"]["chat"]] == ["2階です", "了解"]
    assert list(ChatMessage.objects.values_list("sender", flat=True)) == [
        "caller",
        "dispatcher",
    ]
    assert events.group_name(incident.pk) == f"live119.incident.{incident.pk}"
    assert services.invite_check(token=token).opens == 1
