"""Citus mode (STATIONS_CITUS=true): each district's event store is a distributed schema placed
whole on a worker; records go in through the API, are read back with the district's own scope
(checked by row-level security on the worker), and the district's log verifies."""

import httpx
import psycopg

from tests.builders import service_delivered
from tests.support import SampleDistrict, bearer, make_district
from tenants.stores import store_schema


def placed_on(database_url: str, district: SampleDistrict) -> set[int]:
    """The ports of the nodes holding the district's store's tables."""
    with psycopg.connect(database_url) as conn:
        return {port for (port,) in conn.execute(
            "SELECT DISTINCT n.nodeport FROM citus_shards s JOIN pg_dist_node n USING (nodename, nodeport)"
            " WHERE s.citus_table_type = 'schema' AND s.table_name::text LIKE %s", [f"{store_schema(district.code)}.%"])}


async def test_records_go_to_districts_on_both_workers_and_read_back_in_scope(app, client: httpx.AsyncClient,
                                                                             database_url, nodes):
    runtime = app.state.runtime
    districts = [make_district(runtime) for _ in range(4)]
    placements = {}
    for district in districts:
        staff = bearer("district", district.code)
        batch = [service_delivered(district.town) for _ in range(3)]
        written = await client.post(f"/v1/districts/{district.code}/records", json={"records": batch}, headers=staff)
        assert written.status_code == 200, written.text
        again = await client.post(f"/v1/districts/{district.code}/records", json={"records": batch}, headers=staff)
        assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 3, again.text
        placements[district.code] = placed_on(database_url, district)
        events = await client.get(f"/v1/districts/{district.code}/events", headers=bearer("auditor"))
        assert events.status_code == 200, events.text
        assert [e["position"] for e in events.json()["events"]] == [1, 2, 3]
        verified = await client.get(f"/v1/districts/{district.code}/audit/verify", headers=bearer("auditor"))
        assert verified.status_code == 200 and verified.json()["ok"] is True, verified.text
    assert all(len(ports) == 1 for ports in placements.values()), placements
    assert set().union(*placements.values()) == set(nodes.values())  # new schemas go to either worker
