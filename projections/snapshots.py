"""Snapshots of a district's report tables, kept for as-of reads (`as_of.py`).

The projection worker takes one inside the batch that crosses each `snapshot_every` mark, so a
snapshot is exactly the state at its position. The small tables (bounded by towns, projects and
dimensions, not by events) are copied whole. The counted recipients (`RECIPIENTS`, a row per
recipient and period, growing with the log) are kept as a delta: a snapshot writes only the
rows whose counts changed since the district's previous snapshot, an empty one ('{}') for a row
that has gone (the live row is deleted when the recipient has no active service left). A
recipient's counts in a period as of snapshot S are therefore their row with the greatest
snapshot position at or before S, none or '{}' meaning counted nowhere; copied whole every time,
the rows would grow with the square of the log. A snapshot therefore stands on every earlier one
of its district: they are dropped all together (or from a position on), never one from the
middle.
"""

from dataclasses import dataclass, field

import asyncpg

from projections.tables import REPORT_TABLES
from tenants.stores import events_table

RECIPIENTS = "service_recipients"
# Tables no as-of read reads (a submitted version's later adjustments, its frozen figures, a
# plan's steps are read live, never as of a moment): not snapshotted.
UNREAD = ("record_periods", "report_versions", "plan_steps")
# Copied whole into every snapshot.
WHOLE = tuple(t for t in REPORT_TABLES if t not in UNREAD and t != RECIPIENTS)


@dataclass
class Touched:
    """The recipients named by the services of a district's events after `since` up to `until`,
    as a worker projected them batch after batch: what a snapshot at `until` compares, when
    nothing before `since` is newer than the district's previous snapshot."""

    since: int
    until: int
    refs: set[str] = field(default_factory=set)


def _touched_in_log(district: str) -> str:
    """$1 the district, $2 the snapshot's position, $3 the previous snapshot's (0 for none).

    Only a service's own stream changes its recipient's counts (its delivery, then perhaps its
    void), so the recipients whose counts may have changed are those named by the founding event
    (a service's delivery) of each stream with an event after the previous snapshot, read from the
    log itself (naming no event type, a type renamed some day cannot go missing). LATERAL (with
    OFFSET 0 where the planner could flatten it) holds the planner to the plan these sizes call
    for: each changed stream's founding event found by its key; on the log's row estimates, often
    stale in a table growing this fast, it scanned every founding event instead."""
    events = events_table(district)
    return f"""
    SELECT DISTINCT ref FROM (
        SELECT DISTINCT originator_id FROM {events} WHERE notification_id > $3 AND notification_id <= $2) AS e,
    LATERAL (SELECT convert_from(state, 'UTF8')::jsonb ->> 'recipient_ref' AS ref FROM {events}
             WHERE originator_id = e.originator_id AND originator_version = 1 OFFSET 0) AS d
    WHERE ref IS NOT NULL"""


# $1 the district, $2 the snapshot's position, $3 the recipients a worker saw named since the
# previous snapshot (`Touched`).
_TOUCHED_GIVEN = "SELECT unnest($3::text[]) AS ref"


def _recipients_delta(touched: str) -> str:
    """The rows of the `touched` recipients (a query of their refs) whose counts differ from the
    latest rows of earlier snapshots; $1 the district, $2 the snapshot's position. Each recipient's
    rows are found by the recipient indexes (LATERAL, as above)."""
    return f"""
WITH touched AS MATERIALIZED ({touched}
), live AS (
    SELECT r.* FROM touched, LATERAL (
        SELECT recipient_ref, period, counts FROM reports.{RECIPIENTS}
        WHERE district = $1 AND recipient_ref = touched.ref OFFSET 0) AS r
), kept AS (
    SELECT k.* FROM touched, LATERAL (
        SELECT DISTINCT ON (period) recipient_ref, period, counts
        FROM snapshots.{RECIPIENTS} WHERE district = $1 AND recipient_ref = touched.ref AND snapshot_position < $2
        ORDER BY period, snapshot_position DESC) AS k
)
INSERT INTO snapshots.{RECIPIENTS} (snapshot_position, district, recipient_ref, period, counts)
SELECT $2, $1, recipient_ref, period, coalesce(live.counts, '{{}}')
FROM live FULL JOIN kept USING (recipient_ref, period)
WHERE coalesce(live.counts, '{{}}') <> coalesce(kept.counts, '{{}}')
"""


_DELTA_OF_GIVEN = _recipients_delta(_TOUCHED_GIVEN)


async def take_snapshot(conn: asyncpg.Connection, district: str, position: int,
                        touched: Touched | None = None) -> None:
    """Within the projecting transaction: keep the district's report tables as at `position`.

    The recipients to compare are the ones `touched` holds when it covers every event since the
    previous snapshot; else they are read from the log (parsing each event's JSON: slow)."""
    previous = await conn.fetchval("SELECT coalesce(max(position), 0) FROM snapshots.taken"
                                   " WHERE district = $1 AND position < $2", district, position)
    await conn.execute("INSERT INTO snapshots.taken (district, position) VALUES ($1, $2)", district, position)
    for table in WHOLE:
        await conn.execute(f"INSERT INTO snapshots.{table} SELECT $2, * FROM {table} WHERE district = $1",
                           district, position)
    if touched is not None and touched.since <= previous and touched.until == position:
        await conn.execute(_DELTA_OF_GIVEN, district, position, list(touched.refs))
    else:
        await conn.execute(_recipients_delta(_touched_in_log(district)), district, position, previous)
