"""A district's event log, page by page, decoded for people and auditors' scripts."""

from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
from eventsourcing.persistence import Mapper, StoredEvent

from domain.events import RecordEvent
from kernel.clock import CST
from tenants.stores import chain_table, events_table


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


# An event row joined with its chain row: what `describe` needs.
EVENT_COLUMNS = ("e.notification_id, e.originator_id, e.originator_version, e.topic, e.state,"
                 " c.recorded_at, c.leaf, c.chain")


def describe(row: asyncpg.Record, mapper: Mapper) -> dict[str, Any]:
    """The event for people and auditors' scripts. `recorded_at` is when it entered the log (its
    chain row's time, which as_of reads go by), `decided_at` when the server decided to record
    it, just before; `hash` is its leaf hash and `chain` the chain value after it (docs/audit.md)."""
    stored = stored_event(row)
    event = mapper.to_domain_event(stored)
    assert isinstance(event, RecordEvent)
    return {
        "position": row["notification_id"],
        "stream": str(stored.originator_id),
        "version": stored.originator_version,
        "type": event.record_type,
        "event": stored.topic.rpartition(":")[2],
        "record_id": event.record_id,
        "recorded_at": row["recorded_at"].astimezone(CST).isoformat(),
        "decided_at": event.timestamp.astimezone(CST).isoformat(),
        "actor": {"sub": event.actor, "role": event.actor_role},
        "on_behalf_of": event.on_behalf_of,  # the owner's level, when a level above wrote its record
        "request_id": event.request_id,
        "payload": jsonable(event.payload()),
        "hash": bytes(row["leaf"]).hex(),
        "chain": bytes(row["chain"]).hex(),
    }


async def read_page(conn: asyncpg.Connection, district: str, mapper: Mapper, *, after: int,
                    limit: int) -> list[dict[str, Any]]:
    # The table names are built from a district code the registry knows: six digits.
    rows = await conn.fetch(f'SELECT {EVENT_COLUMNS} FROM {events_table(district)} e'
                            f' JOIN {chain_table(district)} c ON c.position = e.notification_id'
                            f' WHERE e.notification_id > $1 ORDER BY e.notification_id LIMIT $2', after, limit)
    return [describe(row, mapper) for row in rows]


def stored_event(row: asyncpg.Record) -> StoredEvent:
    return StoredEvent(row["originator_id"], row["originator_version"], row["topic"], bytes(row["state"]))
