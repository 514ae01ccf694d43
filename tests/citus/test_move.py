"""Citus mode: a district moved to the other worker with Citus's own `citus_move_shard_placement`
(its store's tables are one co-located group, moved together, online by logical replication)
while a writer keeps recording into it through the API: every acknowledged record stored once,
the log's positions unbroken, its chain verifying, and its report counting exactly those."""

import asyncio

import psycopg

from tests.builders import service_delivered
from tests.support import bearer, caught_up, make_district
from tenants.stores import store_schema


def placement(database_url: str, code: str) -> tuple[int, int]:
    """The shard of the district's events table and the port of the node holding it."""
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT shardid, nodeport FROM citus_shards WHERE table_name = %s::regclass",
                            [f"{store_schema(code)}.events"]).fetchone()


def move(database_url: str, shard: int, source: int, target: int) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT citus_move_shard_placement(%s, '127.0.0.1', %s, '127.0.0.1', %s,"
                     " shard_transfer_mode => 'force_logical')", [shard, source, target])


async def test_a_district_moved_between_workers_under_a_writer_loses_and_doubles_nothing(
        app, client, database_url, nodes):
    district = make_district(app.state.runtime)
    staff = bearer("district", district.code)
    acknowledged: list[str] = []
    refused = 0
    moved = asyncio.Event()

    async def writer() -> None:
        nonlocal refused
        while not moved.is_set() or len(acknowledged) < 20:
            record = service_delivered(district.town, person_times=1)
            answer = await client.post(f"/v1/districts/{district.code}/records", json={"records": [record]},
                                       headers=staff)
            if answer.status_code == 200:
                acknowledged.append(record["id"])
            else:  # a 503 stores nothing: the writer would send it again
                assert answer.status_code == 503, answer.text
                refused += 1

    first = await client.post(f"/v1/districts/{district.code}/records",
                              json={"records": [service_delivered(district.town, person_times=1)]}, headers=staff)
    assert first.status_code == 200, first.text
    shard, source = placement(database_url, district.code)
    target = next(port for port in nodes.values() if port != source)
    writing = asyncio.create_task(writer())
    try:
        await asyncio.to_thread(move, database_url, shard, source, target)
    finally:
        moved.set()
        await writing
    assert placement(database_url, district.code) == (shard, target)

    with psycopg.connect(database_url) as conn:
        stored = [r for (r,) in conn.execute(f"SELECT record_id FROM {store_schema(district.code)}.records")]
        positions = [p for (p,) in conn.execute(
            f"SELECT notification_id FROM {store_schema(district.code)}.events ORDER BY 1")]
    doubled = len(stored) - len(set(stored))
    print(f"move under a writer: acknowledged {len(acknowledged) + 1}, stored {len(stored)}, doubled {doubled},"
          f" refused (503) {refused}")
    assert set(acknowledged) <= set(stored) and doubled == 0 and len(stored) == len(acknowledged) + 1
    assert positions == list(range(1, len(positions) + 1))
    verified = await client.get(f"/v1/districts/{district.code}/audit/verify", headers=bearer("auditor"))
    assert verified.status_code == 200 and verified.json()["ok"] is True, verified.text
    report = await caught_up(lambda: client.get(f"/v1/districts/{district.code}/reports/2025H1",
                                                params={"min_position": positions[-1]}, headers=staff))
    assert report.status_code == 200, report.text
    assert report.json()["figures"]["person_times"] == len(stored)
