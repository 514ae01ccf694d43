"""A district report given again from `report_cache` is the report made afresh, and stops being
given the moment the projection moves the district's tracking row (a new batch, or a rebuild)."""

import asyncio
import contextlib

import orjson
import pytest

from projections.connections import ALL_DISTRICTS, scoped
from domain.records import parse_record
from projections import report_cache
from projections.connections import ServerPools
from projections.progress import Progress
from projections.rebuild import rebuild
from projections import reports as reports_module
from projections.reports import Scope, city_json, district_report, district_reports
from projections.worker import PROGRESS_CHANNEL, ProjectionWorker
from kernel import clock
from tests.builders import inspection_done, service_delivered
from tests.integration.halfyear import naive_figures
from tests.support import context
from tests.integration.halfyear import record_year


async def read(pool, scope: Scope, within: str = ALL_DISTRICTS) -> dict:  # noqa: F811
    async with scoped(pool, within) as conn:
        return await district_report(conn, scope)


def one_more_service(runtime, district, on: str) -> list[dict]:
    record = service_delivered(next(iter(district.towns)), occurred_on=on)
    runtime.tenants.ledger(district.code).record([parse_record(record)], context(runtime, district))
    return [record]


def kept(scope: Scope) -> set:
    """The keys (with their stamps) the scope's reports are kept under."""
    return {key for key in report_cache.REPORTS._kept if key[0] == scope}


async def test_a_kept_report_is_the_fresh_one_until_the_tracking_row_moves(pool, runtime, district,  # noqa: F811
                                                                         other_district):
    records = record_year(runtime, district, 4)
    worker = ProjectionWorker(pool)
    await worker.catch_up(district.code)
    scope = Scope(district.code, "2025H1", runtime.tenants.divisions, clock.today())

    made = await read(pool, scope)
    assert kept(scope)
    assert await read(pool, scope) == made
    assert made["figures"]["person_times"] == naive_figures(records, "2025H1")["person_times"]

    # Another district's caller: row-level security hides the stamp, so nothing kept is given.
    hidden = await read(pool, scope, within=other_district.code)
    assert hidden["figures"]["person_times"] == 0 and hidden["checkpoint"]["position"] == 0

    # A rebuild rewrites the tables and moves the row to the same position: made afresh, equal.
    before = kept(scope)
    await rebuild(pool, district.code)
    assert await read(pool, scope) == made
    assert kept(scope) - before

    more = one_more_service(runtime, district, "2025-03-18")
    await worker.catch_up(district.code)
    after = await read(pool, scope)
    assert after["figures"]["person_times"] == naive_figures(records + more, "2025H1")["person_times"]
    assert after["checkpoint"]["position"] > made["checkpoint"]["position"]


async def test_the_city_reads_only_the_districts_that_changed_afresh(pool, runtime, district,  # noqa: F811
                                                                  other_district):
    worker = ProjectionWorker(pool)
    records = record_year(runtime, district, 6)
    others = record_year(runtime, other_district, 7)
    await worker.catch_up(district.code)
    await worker.catch_up(other_district.code)
    scopes = [Scope(d.code, "2025H2", runtime.tenants.divisions, clock.today()) for d in (district, other_district)]
    async with scoped(pool, ALL_DISTRICTS) as conn:
        first = await district_reports(conn, scopes)
    more = one_more_service(runtime, district, "2025-08-18")
    await worker.catch_up(district.code)
    async with scoped(pool, ALL_DISTRICTS) as conn:
        second = await district_reports(conn, scopes)
    assert second[1] == first[1]
    assert second[0]["figures"]["person_times"] == naive_figures(records + more, "2025H2")["person_times"]
    assert second[1]["figures"]["person_times"] == naive_figures(others, "2025H2")["person_times"]


async def test_towns_kept_from_before_make_the_report_made_wholly_afresh(pool, runtime, district,  # noqa: F811
                                                                        monkeypatch):
    records = record_year(runtime, district, 5)
    worker = ProjectionWorker(pool)
    await worker.catch_up(district.code)
    scope = Scope(district.code, "2025H1", runtime.tenants.divisions, clock.today())
    before = await read(pool, scope)  # keeps every town's part
    more = one_more_service(runtime, district, "2025-04-02")
    await worker.catch_up(district.code)

    partly_kept = await read(pool, scope)
    monkeypatch.setattr(report_cache, "REPORTS", report_cache.ReportCache())
    monkeypatch.setattr(report_cache, "PARTS", report_cache.SharedParts())
    afresh = await read(pool, scope)
    assert partly_kept == afresh
    town = more[0]["town"]
    changed = [t["town"] for t, b in zip(partly_kept["towns"], before["towns"], strict=True) if t != b]
    assert changed == [town]
    assert partly_kept["figures"]["person_times"] == naive_figures(records + more, "2025H1")["person_times"]


def record(runtime, district, *records: dict) -> list[dict]:
    runtime.tenants.ledger(district.code).record([parse_record(r) for r in records], context(runtime, district))
    return list(records)


async def afresh(pool, scope: Scope, monkeypatch) -> dict:  # noqa: F811
    """The report made with nothing kept from before."""
    for name, empty in (("REPORTS", report_cache.ReportCache()), ("PARTS", report_cache.SharedParts()),
                        ("ROWS", report_cache.KeptRows())):
        monkeypatch.setattr(report_cache, name, empty)
    return await read(pool, scope)


@pytest.fixture
async def progress(database_url, runtime, pool):  # noqa: F811
    """What an API process runs: the follower of the workers' notices, which tells `report_cache.MOVES`."""
    pools = ServerPools(database_url, runtime.tenants.server_of, min_size=1, max_size=1)
    following = Progress(pools)
    await following.start([None])
    probe = orjson.dumps({"district": "probe", "position": 1, "server": ["-", "-"], "before": ["0", 0],
                          "after": "1", "changed": {}}).decode()
    while "probe" not in following.heard:  # listening: a notice sent from now on is heard
        await pool.execute("SELECT pg_notify($1, $2)", PROGRESS_CHANNEL, probe)
        with contextlib.suppress(TimeoutError):  # not listening yet: send it again
            await asyncio.wait_for(following.changed["probe"].wait(), 0.05)
    yield following
    await following.stop()
    await pools.close()


async def caught_up(worker: ProjectionWorker, progress: Progress, pool, district: str) -> None:  # noqa: F811
    """The district projected, and the notices of its batches heard (kept only for a district
    waited for: waited for before the batches, whose notices may be heard while they run)."""
    heard = progress.changed[district]
    await worker.catch_up(district)
    head = await pool.fetchval("SELECT position FROM reports.tracking WHERE district = $1", district)
    while progress.heard.get(district, 0) < head:  # notices wake and tell the cache; positions are read
        heard.clear()  # nothing is heard between the look and the clear: one thread, no await
        await asyncio.wait_for(heard.wait(), 10)


async def test_after_a_worker_batch_only_the_tables_it_changed_are_read_again(pool, runtime, district,  # noqa: F811
                                                                              progress, monkeypatch):
    record_year(runtime, district, 8)
    worker = ProjectionWorker(pool)
    await caught_up(worker, progress, pool, district.code)
    scope = Scope(district.code, "2025H1", runtime.tenants.divisions, clock.today())
    await read(pool, scope)
    first = report_cache.ROWS.get(district.code, "2025H1")[1]

    town = next(iter(district.towns))
    record(runtime, district, service_delivered(town, occurred_on="2025-05-06"))
    await caught_up(worker, progress, pool, district.code)
    after_service = await read(pool, scope)
    second = report_cache.ROWS.get(district.code, "2025H1")[1]
    assert all(second[name] is first[name] for name in first if name != "services")
    # Only the town's service figures and the district's were read again.
    assert {id(row) for row in second["services"] if row["town"] not in ("", town)} == \
        {id(row) for row in first["services"] if row["town"] not in ("", town)}
    assert not {id(row) for row in second["services"]} & {id(row) for row in first["services"]
                                                          if row["town"] in ("", town)}
    assert after_service == await afresh(pool, scope, monkeypatch)
    monkeypatch.undo()
    await read(pool, scope)

    record(runtime, district, inspection_done(town, occurred_on="2025-05-07"))
    await caught_up(worker, progress, pool, district.code)
    after_inspection = await read(pool, scope)
    third = report_cache.ROWS.get(district.code, "2025H1")[1]
    assert third["inspections"] is not second["inspections"]
    assert third["services"] is second["services"] and third["facts"] is first["facts"]
    assert after_inspection["figures"]["inspections"] == after_service["figures"]["inspections"] + 1

    # A rebuild moves the row outside the worker: nothing kept is trusted, every table is read.
    await rebuild(pool, district.code)
    after_rebuild = await read(pool, scope)
    assert all(report_cache.ROWS.get(district.code, "2025H1")[1][name] is not third[name] for name in third)
    assert after_rebuild == after_inspection
    assert after_inspection == await afresh(pool, scope, monkeypatch)


def test_moves_tell_the_tables_changed_only_along_an_unbroken_chain():
    moves = report_cache.Moves()
    moves.moved("350203", ("s", "x1", 1), ("s", "x2", 5), {"service_figures": frozenset({"", "350203001"})})
    moves.moved("350203", ("s", "x2", 5), ("s", "x3", 9), {"inspections": None,
                                                          "service_figures": frozenset({"", "350203002"})})
    moves.moved("350203", ("s", "x3", 9), ("s", "x4", 12), {"service_figures": None})
    assert moves.changed_between("350203", ("s", "x1", 1), ("s", "x3", 9)) == {
        "service_figures": {"", "350203001", "350203002"}, "inspections": None}
    assert moves.changed_between("350203", ("s", "x1", 1), ("s", "x4", 12)) == {
        "service_figures": None, "inspections": None}
    assert moves.changed_between("350203", ("s", "x2", 5), ("s", "x2", 5)) == {}
    assert moves.changed_between("350203", ("s", "x0", 1), ("s", "x3", 9)) is None  # another move before
    assert moves.changed_between("350205", ("s", "x1", 1), ("s", "x2", 5)) is None  # another district


async def test_a_caller_changing_its_report_changes_no_other(pool, runtime, district, monkeypatch):  # noqa: F811
    record_year(runtime, district, 9)
    worker = ProjectionWorker(pool)
    await worker.catch_up(district.code)
    scope = Scope(district.code, "2025H1", runtime.tenants.divisions, clock.today())
    mine = await read(pool, scope)  # made afresh: its town parts are kept for the next reports
    for town in mine["towns"]:
        town["figures"]["person_times"] = -1
        town["compliance"]["gap_codes"].append("changed")
    mine["projects_detail"].clear()
    one_more_service(runtime, district, "2025-05-08")
    await worker.catch_up(district.code)
    again = await read(pool, scope)  # the other towns' parts given again
    assert all(town["figures"]["person_times"] >= 0 for town in again["towns"])
    assert again == await afresh(pool, scope, monkeypatch)


def test_a_notice_names_the_towns_changed_unless_they_are_too_many_for_it():
    few = {"service_figures": frozenset({"", "350203001"}), "inspections": None}
    assert report_cache.changes_of(orjson.loads(report_cache.changes_text(few))) == few
    many = {"service_figures": frozenset(f"{n:09d}" for n in range(1000)), "inspections": None}
    assert len(report_cache.changes_text(many)) < report_cache.CHANGES_TEXT_BYTES
    assert report_cache.changes_of(orjson.loads(report_cache.changes_text(many))) == dict.fromkeys(many)


async def test_positions_heard_from_a_server_lost_are_read_again(pool, runtime, district, progress):  # noqa: F811
    """The worker commits without waiting for its WAL flush, so a server that crashed may come back
    without its last batches (to be projected again): positions heard before are not trusted."""
    record_year(runtime, district, 2)
    worker = ProjectionWorker(pool)
    await caught_up(worker, progress, pool, district.code)
    head = await progress.position(district.code)
    heard = progress.changed[district.code]
    heard.clear()
    # The crash: the last event's projection lost (its position and the row keyed by it; the test
    # reads no figures), and the listening connection with it.
    await pool.execute("UPDATE reports.tracking SET position = $2 WHERE district = $1", district.code, head - 1)
    await pool.execute("DELETE FROM reports.record_periods WHERE district = $1 AND position = $2", district.code, head)
    # Listening again, Progress wakes every waiter (notices may have come meanwhile): by then it
    # has forgotten what it heard before. Its last query may be LISTEN or the question who sent.
    for _ in range(10):
        await pool.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                           " WHERE query LIKE 'LISTEN %' AND query LIKE '%' || $1 || '%'"
                           " OR query LIKE 'SELECT usename = session_user FROM pg_stat_activity%'", PROGRESS_CHANNEL)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(heard.wait(), 1)
            break
    assert heard.is_set()
    progress.timeout = 0.3
    assert not await progress.wait_for(district.code, head)
    await worker.catch_up(district.code)
    assert await progress.wait_for(district.code, head)


def test_a_city_report_is_kept_until_a_district_report_or_the_city_status_changes(monkeypatch):
    made = []

    def city_of(period: str, reports: list[dict]) -> dict:  # the city's sums, counted when made
        made.append(period)
        return {"period": period, "figures": {"services": sum(r["figures"]["services"] for r in reports)}}

    monkeypatch.setattr(reports_module, "city_of", city_of)
    texts = [report_cache.encode({"figures": {"services": n}}) for n in (2, 3)]

    first = city_json("2025H1", "draft", texts)
    assert city_json("2025H1", "draft", list(texts)) is first and len(made) == 1  # the same district texts
    assert orjson.loads(first) == {"period": "2025H1", "figures": {"services": 5}, "status": "draft"}
    changed = city_json("2025H1", "draft", [texts[0], report_cache.encode({"figures": {"services": 4}})])
    assert orjson.loads(changed)["figures"] == {"services": 6}
    assert orjson.loads(city_json("2025H1", "submitted", texts))["status"] == "submitted"
    assert orjson.loads(city_json("2025H2", "draft", texts))["period"] == "2025H2"
    assert len(made) == 4
