"""Citus mode: a store's report rows on the node of its store (README, "Citus mode").

The report and snapshot tables are distributed by `district` in one co-located group
(`stations/citus.py`). A hash shard would hold many districts, on a node unrelated to theirs
stores'; each store's code is instead isolated in a shard group of its own
(`isolate_tenant_to_new_shard`, every table of the group at once), moved to the node holding the
store's schema. A district's projection and reads then stay on one worker, and a worker down
costs only the districts it holds.
"""

from typing import Any

from tenants.stores import events_table

GROUP = "reports.tracking"  # the co-located group's first table: its shards name the group's

_SHARD = """
SELECT s.shardid, s.shardminvalue = s.shardmaxvalue AS isolated, p.nodename, p.nodeport
FROM pg_dist_shard s JOIN pg_dist_shard_placement p USING (shardid)
WHERE s.shardid = get_shard_id_for_distribution_column(%s::regclass, %s::text)
"""
_STORE_NODE = "SELECT nodename, nodeport FROM pg_dist_shard_placement JOIN pg_dist_shard USING (shardid) WHERE logicalrelid = %s::regclass"
# A new store's group is empty: blocking its writes for the move costs nothing, and needs no
# logical replication (a district moved later, with rows, is moved online: README).
_ISOLATE = "SELECT isolate_tenant_to_new_shard(%s::regclass, %s::text, 'CASCADE', shard_transfer_mode => 'block_writes')"
_MOVE = "SELECT citus_move_shard_placement(%s, %s, %s, %s, %s, shard_transfer_mode => 'block_writes')"


def place_beside_store(curs: Any, code: str) -> None:
    """Give the store's report rows a shard group of their own on its store's node (nothing
    when they have one there already). `curs` returns rows as dicts (the library's)."""
    shard = curs.execute(_SHARD, [GROUP, code]).fetchone()
    if not shard["isolated"]:
        curs.execute(_ISOLATE, [GROUP, code])
        shard = curs.execute(_SHARD, [GROUP, code]).fetchone()
    store = curs.execute(_STORE_NODE, [events_table(code)]).fetchone()
    if (shard["nodename"], shard["nodeport"]) != (store["nodename"], store["nodeport"]):
        curs.execute(_MOVE, [shard["shardid"], shard["nodename"], shard["nodeport"], store["nodename"], store["nodeport"]])
