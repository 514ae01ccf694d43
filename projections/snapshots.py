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

import asyncpg

from projections.tables import REPORT_TABLES
from tenants.event_store import SCHEMA, events_table

RECIPIENTS = "service_recipients"
# Tables no as-of read reads (a submitted version's later adjustments, its frozen figures, a
# plan's steps are read live, never as of a moment): not snapshotted.
UNREAD = ("record_periods", "report_versions", "plan_steps")
# Copied whole into every snapshot.
WHOLE = tuple(t for t in REPORT_TABLES if t not in UNREAD and t != RECIPIENTS)


def _recipients_delta(district: str) -> str:
    """$1 the district, $2 the snapshot's position, $3 the previous snapshot's (0 for none).

    Only a service's own stream changes its recipient's counts (its delivery, then perhaps its
    void), so the recipients whose counts may have changed are those named by the founding event
    (a service's delivery) of each stream with an event after the previous snapshot, read from the
    log itself (a worker restarted in between loses nothing; naming no event type, a type renamed
    some day cannot go missing). For each, the live rows are compared with the latest rows of
    earlier snapshots. LATERAL (with OFFSET 0 where the planner could flatten it) holds the planner
    to the plan these sizes call for: each changed stream's founding event found by its key, each
    recipient's rows by the recipient indexes; on the log's row estimates, often stale in a table
    growing this fast, it scanned every founding event instead."""
    events = f'{SCHEMA}."{events_table(district)}"'
    return f"""
WITH touched AS MATERIALIZED (
    SELECT DISTINCT ref FROM (
        SELECT DISTINCT originator_id FROM {events} WHERE notification_id > $3 AND notification_id <= $2) AS e,
    LATERAL (SELECT convert_from(state, 'UTF8')::jsonb ->> 'recipient_ref' AS ref FROM {events}
             WHERE originator_id = e.originator_id AND originator_version = 1 OFFSET 0) AS d
    WHERE ref IS NOT NULL
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


async def take_snapshot(conn: asyncpg.Connection, district: str, position: int) -> None:
    """Within the projecting transaction: keep the district's report tables as at `position`."""
    previous = await conn.fetchval("SELECT coalesce(max(position), 0) FROM snapshots.taken"
                                   " WHERE district = $1 AND position < $2", district, position)
    await conn.execute("INSERT INTO snapshots.taken (district, position) VALUES ($1, $2)", district, position)
    for table in WHOLE:
        await conn.execute(f"INSERT INTO snapshots.{table} SELECT $2, * FROM {table} WHERE district = $1",
                           district, position)
    await conn.execute(_recipients_delta(district), district, position, previous)
