"""A project stream's standing records in compact form at a version, persisted by the projection
worker every `EVERY` events of the stream (table `snapshots.streams`, migration 0026), so that a
past state of a project of 10,000 events is read in a fresh process from its latest snapshot at or
before the position asked and the events after it (issue 38: decoding 10,000 events alone took
60 ms of the 100 ms bound).

A project's state (`states.project_state`) reads its standing records and sums its spending by
fund line up to a business day (`on`), so the compact form keeps exactly that: the standing
records other than spending, by their version (re-read and decoded: a few), and the standing
spending summed by fund line and day (`SpentSum`), which any `on` still cuts. A void after the
snapshot of a spending summed in it is undone by reading the voided event (through the record
index) and subtracting it. Snapshots are derived from the events alone: a row of another `FORM`
is never read, and any row may be dropped (the read then replays the stream whole).
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import orjson
from eventsourcing.persistence import Mapper

from domain.events import RecordEvent, RecordKeeping
from domain.project import Project
from projections import replayed
from projections.event_log import stored_event
from projections.replayed import Change, SpentSum
from projections.states import standing
from tenants.stores import events_table, records_table

FORM = 1  # the compact form's shape: bump it when it changes, and older rows are ignored
EVERY = 1000  # a project stream's events between two snapshots


def compact(found: list[Change]) -> dict[str, Any]:
    """The standing records of a project's changes: the versions of those other than spending,
    and the spending summed by fund line and day."""
    kept, sums = [], defaultdict(Decimal)
    for c in standing(found):
        if isinstance(c.event, Project.FundSpent | SpentSum):
            sums[(c.event.source, c.event.level, c.event.occurred_on.isoformat())] += c.event.amount
        else:
            kept.append(c.event.originator_version)
    return {"kept": kept, "spent": [[source, level, day, str(amount)] for (source, level, day), amount in sums.items()]}


async def latest(conn: asyncpg.Connection, district: str, streams: Sequence[UUID],
                 position: int) -> dict[UUID, asyncpg.Record]:
    """Each stream's latest snapshot at or before `position`, for the streams that have one."""
    return {row["stream"]: row for row in await conn.fetch(
        "SELECT DISTINCT ON (stream) stream, version, position, state FROM snapshots.streams"
        " WHERE district = $1 AND stream = ANY($2::uuid[]) AND form = $3 AND position <= $4"
        " ORDER BY stream, position DESC", district, list(streams), FORM, position)}


async def replay(conn: asyncpg.Connection, district: str, mapper: Mapper, stream: UUID, position: int,
                 snapshot: asyncpg.Record | None) -> list[Change]:
    """The stream's changes up to `position` from `snapshot` (from its start without one): the
    summed spending, the standing records it names, and the events after it, in log order."""
    state = orjson.loads(snapshot["state"]) if snapshot else {"kept": [], "spent": []}
    rows = await conn.fetch(
        f"SELECT notification_id, originator_id, originator_version, topic, state"
        f' FROM {events_table(district)} WHERE originator_id = $1'
        f" AND (originator_version = ANY($2::bigint[]) OR (originator_version > $3 AND notification_id <= $4))"
        f" ORDER BY originator_version",
        stream, state["kept"], snapshot["version"] if snapshot else 0, position)
    found = [Change(row["notification_id"], stream, mapper.to_domain_event(stored_event(row))) for row in rows]
    summed = [Change(snapshot["position"], stream,
                     SpentSum(f"snapshot:{source}:{level}:{day}", source, level, date.fromisoformat(day), Decimal(amount)))
              for source, level, day, amount in state["spent"]]
    return sorted([*summed, *found, *await _undone(conn, district, mapper, found)], key=lambda c: c.position)


async def _undone(conn: asyncpg.Connection, district: str, mapper: Mapper, found: list[Change]) -> list[Change]:
    """For each void among `found` of a spending summed in the snapshot (a record found nowhere
    else), that spending subtracted, at the void's position."""
    known = {c.event.record_id for c in found}
    voids = {c.event.record: c for c in found
             if isinstance(c.event, RecordKeeping.RecordVoided) and c.event.record not in known}
    if not voids:
        return []
    rows = await conn.fetch(
        f"SELECT r.record_id, e.originator_id, e.originator_version, e.topic, e.state"
        f' FROM {records_table(district)} r JOIN {events_table(district)} e'
        f" ON e.originator_id = r.stream_id AND e.originator_version = r.stream_version"
        f" WHERE r.record_id = ANY($1::text[])", list(voids))
    undone = []
    for row in rows:
        spent, void = mapper.to_domain_event(stored_event(row)), voids[row["record_id"]]
        if isinstance(spent, Project.FundSpent):
            undone.append(Change(void.position, void.stream, SpentSum(
                f"undone:{spent.record_id}", spent.source, spent.level, spent.occurred_on, -spent.amount)))
    return undone


async def changes(conn: asyncpg.Connection, district: str, mapper: Mapper, streams: Sequence[UUID],
                  position: int) -> list[Change]:
    """What `replayed.changes` gives a state's fold, each stream with a snapshot read from it (its
    spending summed), the others replayed (and kept in the process) as before."""
    snapshots = await latest(conn, district, streams, position)
    whole = await replayed.changes(conn, district, mapper, [s for s in streams if s not in snapshots], position)
    for stream, snapshot in snapshots.items():
        whole.extend(await replay(conn, district, mapper, stream, position, snapshot))
    return sorted(whole, key=lambda c: c.position)


async def take(conn: asyncpg.Connection, district: str, mapper: Mapper, events: list[tuple[int, RecordEvent]],
               every: int = EVERY) -> None:
    """Within the projecting transaction: a snapshot of each project stream whose version reaches
    a multiple of `every` in this batch, made from its previous one and the events since."""
    for position, event in events:
        if event.originator_version % every:
            continue
        stream = event.originator_id
        found = await replay(conn, district, mapper, stream, position,
                             (await latest(conn, district, [stream], position)).get(stream))
        if any(isinstance(c.event, Project.Contracted) for c in standing(found)):
            await conn.execute(
                "INSERT INTO snapshots.streams (district, stream, version, position, form, state)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                district, stream, event.originator_version, position, FORM, orjson.dumps(compact(found)).decode())
