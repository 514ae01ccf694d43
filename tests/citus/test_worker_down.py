"""Citus mode: a worker stopped costs only the districts placed on it (503 problems, as a server
down does without Citus), and the districts on the other worker are served meanwhile."""

import os
import shlex
import subprocess
from pathlib import Path

import httpx
import psycopg

from tests.builders import service_delivered
from tests.support import bearer, make_district
from tenants.stores import store_schema


def node_of(database_url: str, code: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT DISTINCT nodeport FROM citus_shards WHERE citus_table_type = 'schema'"
                            " AND table_name::text LIKE %s", [f"{store_schema(code)}.%"]).fetchone()[0]


def pg_ctl(name: str, *args: str) -> None:
    data = Path(os.environ["STATIONS_CITUS_DATA_DIR"])
    subprocess.run([*shlex.split(os.environ["STATIONS_CITUS_PG_CTL"]), "-D", str(data / name), "-w",
                    "-l", str(data / f"{name}.log"), *args], check=True, capture_output=True)


async def write(client: httpx.AsyncClient, code: str, town: str) -> httpx.Response:
    return await client.post(f"/v1/districts/{code}/records", json={"records": [service_delivered(town)]},
                             headers=bearer("district", code))


async def test_a_stopped_worker_costs_only_its_own_districts(app, client, database_url, nodes):
    by_node: dict[int, list] = {port: [] for port in nodes.values()}
    while not all(by_node.values()):
        district = make_district(app.state.runtime)
        assert (await write(client, district.code, district.town)).status_code == 200
        by_node[node_of(database_url, district.code)].append(district)
    stopped = next(iter(nodes))
    lost, kept = by_node[nodes[stopped]][0], next(d[0] for port, d in by_node.items() if port != nodes[stopped])
    pg_ctl(stopped, "-m", "fast", "stop")
    try:
        for answer in (await write(client, lost.code, lost.town),
                       await client.get(f"/v1/districts/{lost.code}/reports/2025H1",
                                        headers=bearer("district", lost.code))):
            assert answer.status_code == 503, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
        served = await write(client, kept.code, kept.town)
        assert served.status_code == 200, served.text
        report = await client.get(f"/v1/districts/{kept.code}/reports/2025H1",
                                  params={"min_position": served.json()["position"]}, headers=bearer("district", kept.code))
        assert report.status_code == 200, report.text
    finally:
        pg_ctl(stopped, "start")
    again = await write(client, lost.code, lost.town)
    assert again.status_code == 200, again.text
