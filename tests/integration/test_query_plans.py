"""The projection's lookups of named recipients stay one index probe per recipient, whatever
plan the server keeps for them.

A connection keeps a generic plan of a statement it runs often, made with the row estimates
of its day: the worker's, made while the recipients' table was small, hashed the named
recipients and scanned every row of the district against them in every batch (bench/README
section 25). With nested loops made as costly to the planner as they can be, any statement
that leaves it a choice takes another join; these leave it none.
"""

import orjson
import pytest

from projections import connections, service_counts

# The named pairs packed (`projections/packed.py`): each value followed by the separator, then the marks.
PAIRS = r"E'R-1\x1f', E'2025H1\x1f'"
MARKS = r"E'\x1f', E'\x1e'"
LOOKUPS = {
    "live": (service_counts._LIVE_COUNTS, "text, text, text, text, text", f"'350203', {PAIRS}, {MARKS}"),
    "snapshot": (service_counts._SNAPSHOT_COUNTS, "text, text, text, bigint, text, text",
                 f"'350203', {PAIRS}, 100, {MARKS}"),
}


def nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in nodes(child))]


@pytest.mark.parametrize("lookup", LOOKUPS)
async def test_a_lookup_of_named_recipients_probes_the_index_for_each(database_url, lookup):
    statement, types, arguments = LOOKUPS[lookup]
    pool = await connections.create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as c, c.transaction():
            await c.execute("SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL enable_nestloop = off;"
                            " SET LOCAL jit = off")
            await c.execute(f"PREPARE lookup ({types}) AS {statement}")
            [plan] = orjson.loads(await c.fetchval(f"EXPLAIN (FORMAT JSON) EXECUTE lookup ({arguments})"))
            await c.execute("DEALLOCATE lookup")
    finally:
        await pool.close()
    kinds = [node["Node Type"] for node in nodes(plan["Plan"])]
    assert not {"Hash Join", "Merge Join", "Seq Scan", "Bitmap Heap Scan"} & set(kinds), kinds
    assert {"Index Scan", "Index Only Scan"} & set(kinds), kinds
