"""The audit trail: record every state change; seal and verify the hash chain.

``record`` only inserts a row (no lock, so hundreds of writes per second flow).
``seal`` runs in the background (a task scheduled on commit, debounced, plus a
periodic beat) and appends committed events to the chain in order under a lock on
the one ``AuditChainHead`` row. ``verify`` walks the chain.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import models, transaction
from django.utils import timezone

from yorisou.core import bulk, context
from yorisou.core.constants import REDACTED, SENSITIVE_FIELDS
from yorisou.core.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64
SEAL_BATCH = 2000
SEAL_INTERVAL_SECONDS = 1.0


def _plain(value: Any) -> Any:
    """A JSON-safe, stable form of a field value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return str(value)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields whose value changed."""
    changed: dict[str, list[Any]] = {}
    for field in sorted(set(before) | set(after)):
        old, new = _plain(before.get(field)), _plain(after.get(field))
        if old != new:
            changed[field] = [old, new]
    return changed


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields`` of a model instance.

    Related objects are shown by name so that the trail reads as a diff a person
    understands ("健康福祉局 → 総務局"), not as ids.
    """
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.is_relation and field.many_to_one:
            related = getattr(instance, name)
            values[name] = str(related) if related is not None else None
        else:
            values[name] = getattr(instance, getattr(field, "attname", name))
    return values


def _redact(changes: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: [REDACTED, REDACTED] if key.lower() in SENSITIVE_FIELDS else _plain(value)
        for key, value in changes.items()
    }


def record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
    target_type: str = "",
    target_id: str = "",
    target_repr: str = "",
) -> AuditEvent:
    """Append one event (in the caller's transaction) and schedule sealing.

    ``actor`` is a user or ``None`` (the system). Sensitive fields in ``changes``
    are stored as ``[redacted]``: the trail says that a password changed, never
    what it is.
    """
    ctx = context.current()
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
        target_repr = target_repr or str(target)[:300]
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        created_at=timezone.now(),
        actor_id=actor.pk if is_user else None,
        actor_repr=(actor.get_username() if is_user else "system")[:200],
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr,
        changes=_redact(changes or {}),
        request_id=ctx.request_id,
        client_ip=ctx.client_ip,
    )
    bulk.insert_one(event)  # the statement built once: every write comes here
    transaction.on_commit(lambda: _after_commit(event))
    return event


def _after_commit(event: AuditEvent) -> None:
    from yorisou.core import deferred, events, tasks

    events.audit_event_published(event)
    # One seal per second and process at most, however many writes there are,
    # and always one after the last write (the beat seals anything left over).
    deferred.send_soon(tasks.audit_seal, coalesce=SEAL_INTERVAL_SECONDS)


def event_hash(event: AuditEvent, prev_hash: str) -> str:
    """The chain hash of one event: SHA-256 over its content and the previous hash."""
    payload = {
        "seq": event.seq,
        "prev": prev_hash,
        "id": event.pk,
        "at": event.created_at.astimezone(UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor": event.actor_repr,
        "action": event.action,
        "target": [event.target_type, event.target_id, event.target_repr],
        "changes": event.changes,
        "request_id": event.request_id,
        "ip": event.client_ip,
    }
    data = json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(data.encode()).hexdigest()


def seal(*, batch: int = SEAL_BATCH) -> int:
    """Append committed, unsealed events to the chain in id order; returns how many.

    Holds the chain-head row lock only for one batch at a time.
    """
    total = 0
    while True:
        with transaction.atomic():
            AuditChainHead.objects.get_or_create(id=1)
            head = AuditChainHead.objects.select_for_update().get(id=1)
            pending = list(
                AuditEvent.objects.filter(seq__isnull=True).order_by("id")[:batch]
            )
            if not pending:
                return total
            seq, prev = head.last_seq, head.last_hash or GENESIS
            for event in pending:
                seq += 1
                event.seq, event.prev_hash = seq, prev
                event.hash = prev = event_hash(event, prev)
            AuditEvent.objects.bulk_update(pending, ["seq", "prev_hash", "hash"])
            head.last_seq, head.last_hash, head.sealed_at = seq, prev, timezone.now()
            head.save()
            total += len(pending)
        if len(pending) < batch:
            return total


@dataclass(frozen=True)
class VerifyResult:
    """What ``verify`` found: events checked, unsealed ones, and the first break."""

    checked: int
    unsealed: int
    broken_event_id: int | None = None
    broken_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def verify() -> VerifyResult:
    """Walk the sealed chain in order; report the first event that does not fit."""
    head = AuditChainHead.objects.filter(id=1).first()
    unsealed = AuditEvent.objects.filter(seq__isnull=True).count()
    expected_seq, prev = 1, GENESIS
    checked = 0
    events = AuditEvent.objects.filter(seq__isnull=False).order_by("seq")
    for event in events.iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return VerifyResult(
                checked,
                unsealed,
                event.pk,
                expected_seq,
                f"event at chain position {expected_seq} is missing (deleted?); "
                f"next is event #{event.pk} at position {event.seq}",
            )
        if event.prev_hash != prev:
            return VerifyResult(
                checked,
                unsealed,
                event.pk,
                event.seq,
                f"event #{event.pk} (position {event.seq}) does not link to the "
                "previous event",
            )
        if event_hash(event, prev) != event.hash:
            return VerifyResult(
                checked,
                unsealed,
                event.pk,
                event.seq,
                f"event #{event.pk} (position {event.seq}) was changed after sealing",
            )
        prev = event.hash
        expected_seq += 1
        checked += 1
    last_seq = head.last_seq if head else 0
    if checked != last_seq or (head and checked and head.last_hash != prev):
        return VerifyResult(
            checked,
            unsealed,
            None,
            checked + 1,
            f"the chain ends at position {checked} but was sealed up to {last_seq} "
            "(events at the end were deleted?)",
        )
    return VerifyResult(checked, unsealed)
