"""Citus mode: a district moved to the other worker with Citus's own `citus_move_shard_placement`
(its store's tables are one co-located group, moved together, online by logical replication)
while three writers keep recording into it through the API, in batches of 1 to 50 records of
several types (services in both half years and every town, inspections, a project's spending,
voids of earlier services), each refused batch sent again until acknowledged: every acknowledged
record stored once, the log's positions unbroken, its chain verifying, and the district's reports
(its own and its towns', for both half years) equal to the reports rebuilt from its log: read,
then rebuilt in place (`projections.rebuild`, what `stations rebuild` runs), then read again.
Its report rows' shard group is moved after it, beside it again (what `stations migrate` does).

Online for Citus, not for our writers (README, Citus mode): the move holds SHARE UPDATE EXCLUSIVE on
the store's tables on the coordinator throughout, which the write's EXCLUSIVE table lock waits on,
so every write waits for the move's end (a 503 past the 5 s lock_timeout, sent again), and none
is carried by the move's logical replication. The print says how long the longest write waited."""

import asyncio
import random
import time

import httpx
import psycopg

from projections import connections
from projections.rebuild import rebuild
from stations.citus import place_reports
from tests.builders import compliant_station, fund_spent, inspection_done, project_contracted, record_voided, \
    service_delivered
from tests.citus.compare import differences, without_moments
from tests.support import SampleDistrict, bearer, caught_up, make_district, sign
from tenants.report_shards import GROUP
from tenants.stores import store_schema

WRITERS = 3
LEAST_BATCHES = 5  # a writer's batches at least, so that some land after the move too
HALF_YEARS = {"2025H1": "2025-03-18", "2025H2": "2025-09-18"}


def placement(database_url: str, code: str) -> tuple[int, int]:
    """The shard of the district's events table and the port of the node holding it."""
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT shardid, nodeport FROM citus_shards WHERE table_name = %s::regclass",
                            [f"{store_schema(code)}.events"]).fetchone()


def move(database_url: str, shard: int, source: int, target: int) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT citus_move_shard_placement(%s, '127.0.0.1', %s, '127.0.0.1', %s,"
                     " shard_transfer_mode => 'force_logical')", [shard, source, target])


class Writer:
    """One of the writers: its batches, drawn from its own seed, and what the service answered."""

    def __init__(self, district: SampleDistrict, project: str, seed: int):
        self.district, self.project, self.draw = district, project, random.Random(seed)
        self.acknowledged: list[dict] = []
        self.voidable: list[str] = []  # its acknowledged services not voided yet
        self.batches = self.refused = self.repeated = 0
        self.answers: list[tuple[float, float]] = []  # each batch's first sending and its acknowledgement

    def batch(self) -> list[dict]:
        records = []
        for _ in range(self.draw.randint(1, 50)):
            kind, town = self.draw.random(), self.draw.choice(list(self.district.towns))
            if kind < 0.05 and self.voidable:
                records.append(record_voided(self.voidable.pop(self.draw.randrange(len(self.voidable)))))
            elif kind < 0.12:
                records.append(inspection_done(town))
            elif kind < 0.2:  # a few yuan: the contract's 200,000 lasts however many batches are sent
                records.append(fund_spent(self.project, amount=f"{self.draw.randint(1, 99)}.{self.draw.randint(0, 99):02}"))
            else:
                records.append(service_delivered(town, occurred_on=self.draw.choice(list(HALF_YEARS.values())),
                                                 person_times=self.draw.randint(1, 5),
                                                 hours=f"{self.draw.randint(1, 6)}.5"))
        return records

    async def write(self, client: httpx.AsyncClient, moved: asyncio.Event) -> None:
        staff = bearer("district", self.district.code)
        while not moved.is_set() or self.batches < LEAST_BATCHES:
            batch, sent = self.batch(), time.perf_counter()
            while True:  # a 503 stores nothing: the batch is sent again, as a client does
                answer = await client.post(f"/v1/districts/{self.district.code}/records", json={"records": batch},
                                           headers=staff)
                if answer.status_code == 200:
                    break
                assert answer.status_code == 503, answer.text
                self.refused += 1
            self.repeated += sum(result["status"] == "duplicate" for result in answer.json()["results"])
            self.acknowledged += batch
            self.voidable += [r["id"] for r in batch if r["type"] == "service_delivered"]
            self.batches += 1
            self.answers.append((sent, time.perf_counter()))


async def reports(client: httpx.AsyncClient, district: SampleDistrict, position: int) -> dict[str, dict]:
    """The district's report and its towns', for both half years, once projected to `position`."""
    found, staff = {}, bearer("district", district.code)
    for period in HALF_YEARS:
        base = f"/v1/districts/{district.code}/reports/{period}"
        for path in [base, *(f"{base}/towns/{town}" for town in district.towns)]:
            answer = await caught_up(lambda path=path: client.get(path, params={"min_position": position},
                                                                  headers=staff))
            assert answer.status_code == 200, answer.text
            found[path] = answer.json()
    return found


async def test_a_district_moved_between_workers_under_writers_loses_and_doubles_nothing(
        app, client, database_url, nodes):
    district = make_district(app.state.runtime)
    contracted = project_contracted(district.town)
    first = [*compliant_station(district.town, sign(district, district.town)), contracted]
    answer = await client.post(f"/v1/districts/{district.code}/records", json={"records": first},
                               headers=bearer("district", district.code))
    assert answer.status_code == 200, answer.text
    writers = [Writer(district, contracted["project"], seed) for seed in range(WRITERS)]
    moved = asyncio.Event()  # set when the move has ended
    shard, source = placement(database_url, district.code)
    target = next(port for port in nodes.values() if port != source)
    writing = asyncio.gather(*(writer.write(client, moved) for writer in writers))
    started = time.perf_counter()
    try:
        await asyncio.to_thread(move, database_url, shard, source, target)
        ended = time.perf_counter()
        # Its report rows follow, as `stations migrate` puts them (while the writers still write).
        await asyncio.to_thread(place_reports, database_url)
    finally:
        moved.set()
        await writing
    answers = [(sent, back) for writer in writers for sent, back in writer.answers]
    assert placement(database_url, district.code) == (shard, target)
    with psycopg.connect(database_url) as conn:
        assert conn.execute(f"SELECT nodeport FROM citus_shards WHERE shardid = get_shard_id_for_distribution_column("
                            f"'{GROUP}', '{district.code}'::text)").fetchone() == (target,)

    acknowledged = first + [record for writer in writers for record in writer.acknowledged]
    with psycopg.connect(database_url) as conn:
        stored = [r for (r,) in conn.execute(f"SELECT record_id FROM {store_schema(district.code)}.records")]
        positions = [p for (p,) in conn.execute(
            f"SELECT notification_id FROM {store_schema(district.code)}.events ORDER BY 1")]
    doubled = len(stored) - len(set(stored))
    print(f"move under {WRITERS} writers: {sum(w.batches for w in writers) + 1} batches"
          f" ({sum(sent < ended for sent, _ in answers)} sent during the move's {ended - started:.1f} s, the longest"
          f" answered in {max(back - sent for sent, back in answers):.1f} s), acknowledged"
          f" {len(acknowledged)}, stored {len(stored)}, doubled {doubled}, refused (503, sent again)"
          f" {sum(w.refused for w in writers)}, reported duplicate on a resend {sum(w.repeated for w in writers)}")
    assert sorted(stored) == sorted(record["id"] for record in acknowledged) and doubled == 0
    assert positions == list(range(1, len(positions) + 1))
    verified = await client.get(f"/v1/districts/{district.code}/audit/verify", headers=bearer("auditor"))
    assert verified.status_code == 200 and verified.json()["ok"] is True, verified.text

    projected = await reports(client, district, positions[-1])
    voided = {r["record"] for r in acknowledged if r["type"] == "record_voided"}
    for period, day in HALF_YEARS.items():  # the figure each service adds, counted from what was sent
        served = sum(r["person_times"] for r in acknowledged if r["type"] == "service_delivered"
                     and r["occurred_on"] == day and r["id"] not in voided)
        assert projected[f"/v1/districts/{district.code}/reports/{period}"]["figures"]["person_times"] == served
    pool = await connections.create_pool(database_url, min_size=1, max_size=2)
    try:
        assert await rebuild(pool, district.code) == len(positions)
    finally:
        await pool.close()
    rebuilt = await reports(client, district, positions[-1])
    for path, report in projected.items():
        assert without_moments(rebuilt[path]) == without_moments(report), (path, differences(rebuilt[path], report))
