"""A project's past state read from a persisted snapshot of its stream and the events after it
(`projections.stream_snapshots`) equals the state replayed from the stream's first event, at every
position of its log, on several business days; the worker takes the snapshots as the stream grows."""

from datetime import date
from decimal import Decimal

from domain.events import stream_id
from projections import replayed, stream_snapshots
from projections.connections import scoped
from projections.rebuild import rebuild
from projections.states import project_state
from projections.worker import ProjectionWorker
from tenants.stores import events_table
from tests.builders import fund_spent, project_contracted, record_voided, rid
from tests.support import write

EVERY = 5
DAYS = [date(2025, 2, 28), date(2025, 3, 2), date(2025, 3, 4), date(2025, 12, 31)]


def batches(town: str, project: str) -> list[list[dict]]:
    """The project's year: spending on four days and two lines, voided before and after the
    snapshots that sum it, an evaluation voided, a contract change in between."""
    spent = [fund_spent(project, amount=f"{n}.25", occurred_on=f"2025-03-0{1 + n % 4}",
                        source=("elderly_care", "social_assistance")[n % 2]) for n in range(1, 15)]
    evaluation = {"id": rid("se"), "type": "self_evaluation_submitted", "project": project, "contract_year": 1,
                  "submitted_on": "2025-03-02", "summary": "按期推进"}
    return [
        [project_contracted(town, project, contract_start="2025-01-01", contract_end="2025-12-31")],
        spent[:3],                                                         # versions 2-4, before the first snapshot
        [spent[3], record_voided(spent[0]["id"]), evaluation],             # 5: a snapshot; a void of one it sums
        spent[4:8],                                                        # 8-11: 10, a second one
        [record_voided(spent[1]["id"]), record_voided(evaluation["id"])],  # voids of records summed or kept by both
        [record_voided(spent[5]["id"]), *spent[8:11]],                     # 14-17: 15
        spent[11:],
        [record_voided(spent[12]["id"])],                                  # after the last snapshot
    ]


async def test_a_state_from_a_snapshot_equals_the_stream_replayed_whole(pool, runtime, district):
    project = "P-snapshot-0001"
    stream = stream_id(district.code, "project", project)
    worker = ProjectionWorker(pool, stream_snapshot_every=EVERY)
    positions = []
    for batch in batches(district.town, project):
        positions.append(write(runtime, district, batch).position)
        await worker.catch_up(district.code)

    mapper = runtime.tenants.ledger(district.code).mapper
    async with scoped(pool, district.code) as conn:
        taken = await conn.fetch("SELECT version, position FROM snapshots.streams WHERE stream = $1 ORDER BY version",
                                 stream)
        assert [row["version"] for row in taken] == [5, 10, 15, 20]
        events = await conn.fetch(f'SELECT notification_id FROM {events_table(district.code)}'
                                  " WHERE originator_id = $1 ORDER BY notification_id", stream)
        at_every_event = [row["notification_id"] for row in events]
        assert set(positions) <= set(at_every_event)
        for position in at_every_event:
            whole = await replayed.changes(conn, district.code, mapper, [stream], position, replayed.Snapshots())
            from_snapshot = await stream_snapshots.changes(conn, district.code, mapper, [stream], position)
            snapshot = (await stream_snapshots.latest(conn, district.code, [stream], position)).get(stream)
            assert (snapshot is not None) == (position >= taken[0]["position"])
            for day in DAYS:
                expected = project_state(whole, day, runtime.rules)
                assert project_state(from_snapshot, day, runtime.rules) == expected, (position, day)
        # the last state, as the records fold by hand: what stands after the four voids
        assert expected["spent"] == str(sum(Decimal(n) + Decimal("0.25") for n in range(1, 15) if n not in (1, 2, 6, 13)))
        assert not expected["evaluations"]["done"]


async def test_a_dropped_or_other_form_snapshot_is_not_read(pool, runtime, district):
    project = "P-snapshot-0002"
    stream = stream_id(district.code, "project", project)
    for batch in batches(district.town, project)[:4]:
        write(runtime, district, batch)
    await ProjectionWorker(pool, stream_snapshot_every=EVERY).catch_up(district.code)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE snapshots.streams SET form = form + 1 WHERE stream = $1 AND version = 10", stream)
    mapper = runtime.tenants.ledger(district.code).mapper
    async with scoped(pool, district.code) as conn:
        head = await conn.fetchval(f'SELECT max(notification_id) FROM {events_table(district.code)}')
        snapshot = (await stream_snapshots.latest(conn, district.code, [stream], head))[stream]
        assert snapshot["version"] == 5
        whole = await replayed.changes(conn, district.code, mapper, [stream], head, replayed.Snapshots())
        from_snapshot = await stream_snapshots.changes(conn, district.code, mapper, [stream], head)
        assert project_state(from_snapshot, DAYS[-1], runtime.rules) == project_state(whole, DAYS[-1], runtime.rules)


async def test_a_rebuild_takes_the_snapshots_a_stream_lacks(pool, runtime, district):
    project = "P-snapshot-0003"
    stream = stream_id(district.code, "project", project)
    for batch in batches(district.town, project):
        write(runtime, district, batch)
    await ProjectionWorker(pool).catch_up(district.code)  # every 1,000 events: none taken here
    async with pool.acquire() as conn:
        assert not await conn.fetchval("SELECT count(*) FROM snapshots.streams WHERE stream = $1", stream)
    await rebuild(pool, district.code, stream_snapshot_every=EVERY)
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT array_agg(version ORDER BY version) FROM snapshots.streams"
                                   " WHERE stream = $1", stream) == [5, 10, 15, 20]
