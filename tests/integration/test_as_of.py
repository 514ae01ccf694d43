"""Reports as of a past moment: the nearest snapshot, then only the events after it."""

import json
from collections import Counter
from dataclasses import replace

import pytest

from projections.connections import scoped
from domain.duties import Level
from domain.records import parse_city_record, parse_record
from projections import connections
from projections.as_of import position_at, shadow_tables
from projections.reports import Scope, district_report
from projections.snapshots import RECIPIENTS, WHOLE, take_snapshot
from projections.worker import ProjectionWorker
from kernel import clock
from tenants.stores import CITY
from tests.builders import record_voided, service_delivered, station_established, training_held
from tests.integration.halfyear import generate, matches, naive_figures
from tests.integration.halfyear_duties import duties_seen, naive_duties
from tests.support import context


@pytest.fixture
async def pool(database_url):
    pool = await connections.create_pool(database_url, min_size=1, max_size=2)
    yield pool
    await pool.close()


@pytest.mark.parametrize("batch_size", [37, 250])  # 250: a batch holds two or three snapshot marks
async def test_as_of_reproduces_what_was_known_then(pool, runtime, district, batch_size):
    ledger = runtime.tenants.ledger(district.code)
    sent, moments = [], []
    for number, batch in enumerate(generate(district, seed=5, services=300)):
        written = ledger.record([parse_record(r) for r in batch], context(runtime, district))
        sent += batch
        if number % 7 == 3:
            moments.append((await pool.fetchval("SELECT clock_timestamp()"), written.position, list(sent)))
    worker = ProjectionWorker(pool, batch_size=batch_size, snapshot_every=100)
    await worker.catch_up(district.code)
    snapshots = await pool.fetchval("SELECT count(*) FROM snapshots.taken WHERE district = $1", district.code)
    assert snapshots >= 3

    for moment, position, known in moments:
        async with scoped(pool, district.code, readonly=False) as conn:
            assert await position_at(conn, district.code, moment) == position
            replayed = await shadow_tables(conn, district.code, position)
            report = await district_report(conn, Scope(district.code, "2025H1", runtime.tenants.divisions,
                                                       clock.today()))
        expected = naive_figures(known, "2025H1")
        assert matches(report["figures"], expected) == expected
        assert duties_seen(report) == naive_duties(known, "2025H1", filed=False)
        assert report["checkpoint"]["position"] == position
        assert replayed < 100 + 37, "only the events after the nearest snapshot are replayed"

    async with pool.acquire() as conn:  # the live tables were never touched
        live = await district_report(conn, Scope(district.code, "2025H1", runtime.tenants.divisions, clock.today()))
    expected = naive_figures(sent, "2025H1")
    assert matches(live["figures"], expected) == expected


async def test_as_of_before_the_first_event_is_empty(pool, runtime, district):
    before = await pool.fetchval("SELECT clock_timestamp()")
    ledger = runtime.tenants.ledger(district.code)
    ledger.record([parse_record(r) for r in generate(district, seed=6, services=5)[0]], context(runtime, district))
    async with scoped(pool, district.code, readonly=False) as conn:
        assert await position_at(conn, district.code, before) == 0
        assert await shadow_tables(conn, district.code, 0) == 0
        report = await district_report(conn, Scope(district.code, "2025H1", runtime.tenants.divisions, clock.today()))
    assert report["figures"]["person_times"] == 0


async def test_live_and_as_of_reads_on_one_pooled_connection_do_not_mix(database_url, runtime, district):
    pool = await connections.create_pool(database_url, min_size=1, max_size=1)  # one connection, reused
    try:
        ledger = runtime.tenants.ledger(district.code)
        [first, *rest] = generate(district, seed=8, services=40)
        ledger.record([parse_record(r) for r in first], context(runtime, district))
        moment = await pool.fetchval("SELECT clock_timestamp()")
        for batch in rest:
            ledger.record([parse_record(r) for r in batch], context(runtime, district))
        await ProjectionWorker(pool).catch_up(district.code)
        scope = Scope(district.code, "2025H1", runtime.tenants.divisions, clock.today())

        async def live() -> dict:
            async with scoped(pool, district.code) as conn:
                return (await district_report(conn, scope))["figures"]

        async def then() -> dict:
            async with scoped(pool, district.code, readonly=False) as conn:
                await shadow_tables(conn, district.code, await position_at(conn, district.code, moment))
                return (await district_report(conn, scope))["figures"]

        now, past = await live(), await then()
        assert now != past
        assert await live() == now and await then() == past and await live() == now
    finally:
        await pool.close()


async def test_as_of_sees_the_citys_training_as_its_log_held_it_then(pool, runtime, district):
    town = district.town
    runtime.tenants.ledger(district.code).record([parse_record(station_established(town))],
                                                 context(runtime, district))
    city = runtime.tenants.ledger(CITY)
    session = parse_city_record(training_held(town))
    as_city = replace(context(runtime, district), district=CITY, level=Level.city)
    city.record([session], as_city)
    held = await pool.fetchval("SELECT clock_timestamp()")
    city.record([parse_city_record({"id": f"void-{session.id}", "type": "record_voided", "record": session.id,
                                    "reason": "录错"})], as_city)
    worker = ProjectionWorker(pool)
    await worker.catch_up(district.code)
    await worker.catch_up(CITY)
    scope = Scope(district.code, "2025H1", runtime.tenants.divisions, clock.today())

    async with scoped(pool, district.code) as conn:
        now = await district_report(conn, scope)
    async with scoped(pool, district.code, readonly=False) as conn:
        await shadow_tables(conn, district.code, await position_at(conn, district.code, held))
        then = await district_report(conn, replace(scope, as_of=held))
    assert now["training"]["by_town"] == {town: 0}
    assert then["training"]["by_town"] == {town: 2}
    assert then["training"]["untrained_stations"] == []


async def test_as_of_counts_recipients_against_the_snapshot_it_replays_onto(pool, runtime, district):
    """The replay counts its services onto the snapshot's figures: a recipient counts while any of
    their services stands, whether those were recorded before the snapshot or after it."""
    ledger, town = runtime.tenants.ledger(district.code), district.town
    kept, voided, served_again = (service_delivered(town, recipient_ref=ref) for ref in ("R-kept", "R-out", "R-again"))
    again_in_april = service_delivered(town, recipient_ref="R-again", occurred_on="2025-04-02")
    snapshotted = ledger.record([parse_record(r) for r in (kept, voided, served_again)], context(runtime, district))
    await ProjectionWorker(pool, snapshot_every=snapshotted.position).catch_up(district.code)
    ledger.record([parse_record(r) for r in (
        record_voided(voided["id"]), again_in_april, service_delivered(town, recipient_ref="R-new"),
        record_voided(served_again["id"]))], context(runtime, district))
    await ProjectionWorker(pool).catch_up(district.code)
    moment = await pool.fetchval("SELECT clock_timestamp()")
    scope = Scope(district.code, "2025H1", runtime.tenants.divisions, clock.today())

    async with scoped(pool, district.code) as conn:
        live = await district_report(conn, scope)
    async with scoped(pool, district.code, readonly=False) as conn:
        replayed = await shadow_tables(conn, district.code, await position_at(conn, district.code, moment))
        then = await district_report(conn, replace(scope, as_of=moment))
    assert replayed == 4, "the four records after the snapshot, replayed onto it"
    assert then["figures"] == live["figures"]
    assert then["figures"]["recipients"] == 3  # R-kept, R-again (in April), R-new; R-out voided
    assert then["figures"]["by_month"]["2025-03"]["recipients"] == 2  # R-kept, R-new
    assert then["figures"]["by_month"]["2025-04"]["recipients"] == 1


async def test_as_of_counts_a_recipient_gone_and_back_across_delta_snapshots(pool, runtime, district):
    """A snapshot keeps only the recipients' counts that changed since the one before, a zero for
    one that fell to nothing: a recipient voided out between two snapshots and served again later
    is counted as of every moment as a recomputation from the records counts them."""
    ledger, town = runtime.tenants.ledger(district.code), district.town
    gone_in_march = service_delivered(town, recipient_ref="R-aaa")
    back_in_march = service_delivered(town, recipient_ref="R-aaa")
    in_april = service_delivered(town, recipient_ref="R-aaa", occurred_on="2025-04-02")
    steps = [  # (records, whether a snapshot is taken at their end)
        ([gone_in_march, service_delivered(town, recipient_ref="R-bbb")], True),
        ([record_voided(gone_in_march["id"]), service_delivered(town, recipient_ref="R-ccc")], True),
        ([service_delivered(town, recipient_ref="R-ddd")], True),
        ([back_in_march], False),  # replayed onto the snapshot before, which holds R-aaa at zero
        ([service_delivered(town, recipient_ref="R-eee")], True),
        ([record_voided(back_in_march["id"])], False),
        ([in_april], True),
        ([service_delivered(town, recipient_ref="R-aaa")], False),  # March again, onto a zero in March
    ]
    sent, moments, snapshots = [], [], []
    for records, snapshot in steps:
        written = ledger.record([parse_record(r) for r in records], context(runtime, district))
        sent += records
        moments.append((await pool.fetchval("SELECT clock_timestamp()"), written.position, list(sent)))
        # a worker whose mark is this position snapshots there; the default one's lies far ahead
        await ProjectionWorker(pool, **({"snapshot_every": written.position} if snapshot else {})).catch_up(
            district.code)
        if snapshot:
            snapshots.append(written.position)
    assert snapshots == [p for p, _ in sorted(await pool.fetch(
        "SELECT position, 0 FROM snapshots.taken WHERE district = $1", district.code))]

    scope = Scope(district.code, "2025H1", runtime.tenants.divisions, clock.today())
    for moment, position, known in moments:
        async with scoped(pool, district.code, readonly=False) as conn:
            assert await position_at(conn, district.code, moment) == position
            replayed = await shadow_tables(conn, district.code, position)
            then = await district_report(conn, replace(scope, as_of=moment))
        expected = naive_figures(known, "2025H1")
        assert matches(then["figures"], expected) == expected, f"as of position {position}"
        assert replayed == (0 if position in snapshots else position - max(s for s in snapshots if s < position))

    async def kept(snapshot: int) -> dict[tuple[str, str], int] | None:
        """R-aaa's row a snapshot wrote, as their services by figure of the district as a whole
        (dimension, key); None when it wrote none."""
        counts = await pool.fetchval("SELECT counts FROM snapshots.service_recipients WHERE district = $1"
                                     " AND snapshot_position = $2 AND recipient_ref = 'R-aaa'", district.code, snapshot)
        if counts is None:
            return None
        by_figure: Counter[tuple[str, str]] = Counter()
        for figure, services in json.loads(counts).items():
            _, dim, key = figure.split("/", 2)
            by_figure[(dim, key)] += services
        return dict(by_figure)

    s1, s2, s3, s5, s7 = snapshots
    assert (await kept(s1))[("month", "2025-03")] == 1
    assert await kept(s2) == {}, "R-aaa voided out: their row kept empty"
    assert await kept(s3) is None, "R-aaa unchanged: nothing written"
    assert (await kept(s5))[("month", "2025-03")] == 1
    assert ("month", "2025-03") not in await kept(s7) and (await kept(s7))[("month", "2025-04")] == 1
    assert await pool.fetchval("SELECT array_agg(DISTINCT recipient_ref) FROM snapshots.service_recipients"
                               " WHERE district = $1 AND snapshot_position = $2", district.code, s3) == ["R-ddd"]


@pytest.mark.parametrize("batch_size", [37, 250])  # 250: snapshots in the middle of a batch
async def test_a_snapshot_keeps_the_same_recipients_whether_its_worker_saw_every_batch_or_reads_the_log(
        pool, runtime, district, monkeypatch, batch_size):
    """A worker that projected every batch since the district's previous snapshot compares the
    recipients it saw named in them; one that did not reads them from the log. Each snapshot the
    first takes is taken again the second way, in its transaction, on the same live rows (a
    savepoint rolled back): both keep the same rows."""
    ledger = runtime.tenants.ledger(district.code)
    for batch in generate(district, seed=9, services=300):
        ledger.record([parse_record(r) for r in batch], context(runtime, district))
    worker = ProjectionWorker(pool, batch_size=batch_size, snapshot_every=100)
    rows = ("SELECT recipient_ref, period, counts FROM snapshots.service_recipients"
            " WHERE district = $1 AND snapshot_position = $2 ORDER BY recipient_ref, period")
    compared, positions = 0, []

    def unread(district: str) -> str:
        raise AssertionError("the worker saw every batch: it needs no log query")

    async def taken_both_ways(conn, code, position, touched=None):
        nonlocal compared
        with monkeypatch.context() as patched:
            patched.setattr("projections.snapshots._touched_in_log", unread)
            await take_snapshot(conn, code, position, touched)
        kept = await conn.fetch(rows, code, position)
        retaken = conn.transaction()
        await retaken.start()
        await conn.execute("DELETE FROM snapshots.taken WHERE district = $1 AND position = $2", code, position)
        for table in (*WHOLE, RECIPIENTS):
            await conn.execute(f"DELETE FROM snapshots.{table} WHERE district = $1 AND snapshot_position = $2",
                               code, position)
        await take_snapshot(conn, code, position)
        assert await conn.fetch(rows, code, position) == kept, f"snapshot at {position}"
        await retaken.rollback()
        compared += len(kept)
        positions.append(position)

    monkeypatch.setattr("projections.snapshots.take_snapshot", taken_both_ways)
    await worker.catch_up(district.code)
    assert len(positions) >= 3 and compared >= 60
    assert positions == await pool.fetchval("SELECT array_agg(position ORDER BY position) FROM snapshots.taken"
                                            " WHERE district = $1", district.code)
