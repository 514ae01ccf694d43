"""A district's event log, page by page, decoded for people and auditors' scripts."""

import hashlib
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
from eventsourcing.persistence import Mapper, StoredEvent

from domain.events import RecordEvent
from stations.clock import CST
from tenants.event_store import SCHEMA, chain_table, events_table


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def describe(position: int, stored: StoredEvent, mapper: Mapper, recorded_at: datetime) -> dict[str, Any]:
    """The event for people: `recorded_at` is when it entered the log (its chain row's time, the
    time as_of reads go by); `decided_at` when the server decided to record it, just before."""
    event = mapper.to_domain_event(stored)
    assert isinstance(event, RecordEvent)
    return {
        "position": position,
        "stream": str(stored.originator_id),
        "version": stored.originator_version,
        "type": event.record_type,
        "event": stored.topic.rpartition(":")[2],
        "record_id": event.record_id,
        "recorded_at": recorded_at.astimezone(CST).isoformat(),
        "decided_at": event.timestamp.astimezone(CST).isoformat(),
        "actor": {"sub": event.actor, "role": event.actor_role},
        "request_id": event.request_id,
        "payload": _jsonable(event.payload()),
        # The digest of the event as stored; chaining these is the audit issue's work.
        "hash": hashlib.sha256(stored.topic.encode() + b"\0" + stored.state).hexdigest(),
    }


async def read_page(conn: asyncpg.Connection, district: str, mapper: Mapper, *, after: int,
                    limit: int) -> list[dict[str, Any]]:
    # The table names are built from a district code the registry knows: six digits.
    rows = await conn.fetch(f'SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state,'
                            f' c.recorded_at FROM {SCHEMA}."{events_table(district)}" e'
                            f' JOIN {SCHEMA}."{chain_table(district)}" c ON c.position = e.notification_id'
                            f' WHERE e.notification_id > $1 ORDER BY e.notification_id LIMIT $2', after, limit)
    return [describe(row["notification_id"], stored_event(row), mapper, row["recorded_at"]) for row in rows]


def stored_event(row: asyncpg.Record) -> StoredEvent:
    return StoredEvent(row["originator_id"], row["originator_version"], row["topic"], bytes(row["state"]))
