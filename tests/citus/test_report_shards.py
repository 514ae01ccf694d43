"""Citus mode: the report and snapshot tables distributed by district in one co-located group,
each store's rows in a shard group of their own on its store's node, and the city's report read
as one distributed query the coordinator sends to both workers (README, "Citus mode")."""

import asyncio
import json

import psycopg

from projections.report_rows import _TABLES
from projections.worker import PROGRESS_CHANNEL
from tests.builders import service_delivered
from tests.support import bearer, caught_up, make_district
from tenants.report_shards import GROUP
from tenants.stores import events_table

_DISTRICT_TABLES = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('reports', 'snapshots') AND c.relkind = 'r'
  AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'district')
"""


def nodes_of(conn: psycopg.Connection, code: str) -> tuple[int, int, bool]:
    """The port of the node of the store's events, of its report shard group, and whether that
    group holds this code alone."""
    (store,) = conn.execute("SELECT nodeport FROM citus_shards WHERE table_name = %s::regclass",
                            [events_table(code)]).fetchone()
    reports, alone = conn.execute(
        "SELECT p.nodeport, s.shardminvalue = s.shardmaxvalue FROM pg_dist_shard s JOIN pg_dist_shard_placement p"
        " USING (shardid) WHERE s.shardid = get_shard_id_for_distribution_column(%s::regclass, %s::text)",
        [GROUP, code]).fetchone()
    return store, reports, alone


async def test_each_districts_report_rows_live_beside_its_store_and_the_city_reads_them_in_one_query(
        app, client, database_url, nodes):
    runtime = app.state.runtime
    districts = [make_district(runtime) for _ in range(3)]
    # The projection worker's announcement of each batch is heard on the coordinator, where the
    # API listens: raised by a statement of the coordinator's, not pushed down with the tracking row's.
    listener = await psycopg.AsyncConnection.connect(database_url, autocommit=True)
    await listener.execute(f"LISTEN {PROGRESS_CHANNEL}")
    for district in districts:
        staff = bearer("district", district.code)
        written = await client.post(f"/v1/districts/{district.code}/records",
                                    json={"records": [service_delivered(district.town, person_times=2)]}, headers=staff)
        assert written.status_code == 200, written.text
        url, since = f"/v1/districts/{district.code}/reports/2025H1", {"min_position": written.json()["position"]}
        report = await caught_up(lambda url=url, since=since, staff=staff: client.get(url, params=since, headers=staff))
        assert report.status_code == 200 and report.json()["figures"]["person_times"] == 2, report.text
    heard = set()
    async with asyncio.timeout(10):
        async for notice in listener.notifies(timeout=10):
            heard.add(json.loads(notice.payload)["district"])
            if heard >= {d.code for d in districts}:
                break
    await listener.close()
    assert heard >= {d.code for d in districts}, heard

    with psycopg.connect(database_url) as conn:
        groups = conn.execute("SELECT count(*), count(DISTINCT colocation_id) FROM citus_tables"
                              " WHERE distribution_column = 'district'").fetchone()
        assert groups == (conn.execute(_DISTRICT_TABLES).fetchone()[0], 1)
        placed = {code: nodes_of(conn, code) for code in runtime.tenants.stores()}
        # The city's report rows, which every district's report reads, on the coordinator.
        assert placed.pop("city")[1:] == (int(psycopg.conninfo.conninfo_to_dict(database_url)["port"]), True)
        assert all(store == reports and alone for store, reports, alone in placed.values()), placed
        assert {store for store, _, _ in placed.values()} == set(nodes.values())

        # The city's figures: one statement over every district (report_rows._TABLES), which Citus
        # sends to the shards of both workers and gathers on the coordinator.
        services = dict(_TABLES)["services"]
        every = sorted(code for code in runtime.tenants.stores() if code != "city")
        conn.execute("SET citus.explain_all_tasks = on")
        conn.execute("SET search_path = reports, public")
        plan = "\n".join(row[0] for row in conn.execute(
            f"EXPLAIN {services.replace('$1::text[]', '%s').replace('$2', '%s')}", [every, "2025H1"]))
        assert "Custom Scan (Citus Adaptive)" in plan, plan
        assert {port for port in nodes.values() if f"port={port} " in plan} == set(nodes.values()), plan
    city = await client.get("/v1/city/reports/2025H1", headers=bearer("city"))
    assert city.status_code == 200, city.text
