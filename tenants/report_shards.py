"""Citus mode: a store's report rows on the node of its store (README, "Citus mode").

The report and snapshot tables are distributed by `district` in one co-located group
(`stations/citus.py`). A hash shard would hold many districts, on a node unrelated to their
stores'; each store's code is instead isolated in a shard group of its own
(`isolate_tenant_to_new_shard`, every table of the group at once), moved to the node holding the
store's schema. A district's projection and reads then stay on one worker, and a worker down
costs only the districts it holds. The city's report rows, which every district's report reads
(the city's trainings), go to the coordinator, which every read needs anyway (its store stays on
a worker: the guard refuses the DDL of a store's move to the coordinator, made by a backend of
Citus's own outside any maintenance).
"""

from typing import Any

from tenants.stores import CITY, events_table

GROUP = "reports.tracking"  # the co-located group's first table: its shards name the group's

_SHARD = """
SELECT s.shardid, s.shardminvalue = s.shardmaxvalue AS isolated, p.nodename, p.nodeport
FROM pg_dist_shard s JOIN pg_dist_shard_placement p USING (shardid)
WHERE s.shardid = get_shard_id_for_distribution_column(%s::regclass, %s::text)
"""
_STORE_NODE = ("SELECT nodename, nodeport FROM pg_dist_shard_placement JOIN pg_dist_shard USING (shardid)"
               " WHERE logicalrelid = %s::regclass")
_COORDINATOR = "SELECT nodename, nodeport FROM pg_dist_node WHERE groupid = 0"
# The coordinator takes no shard of its own accord (new districts' schemas go to the workers):
# allowed for the city's moves only.
_SHARDS_HERE = "SELECT citus_set_node_property(%s, %s, 'shouldhaveshards', %s)"
# Blocking writes: a new store's groups are empty, and a moved store's report rows are written by
# the projection alone, which waits for the move (the store itself is moved online: README).
_ISOLATE = "SELECT isolate_tenant_to_new_shard(%s::regclass, %s::text, 'CASCADE', shard_transfer_mode => 'block_writes')"
_MOVE = "SELECT citus_move_shard_placement(%s, %s, %s, %s, %s, shard_transfer_mode => 'block_writes')"


def place_beside_store(curs: Any, code: str) -> None:
    """Give the store's report rows a shard group of their own on its store's node, the city's on
    the coordinator (nothing when they are there already). `curs` returns rows as dicts (the library's)."""
    shard = curs.execute(_SHARD, [GROUP, code]).fetchone()
    if not shard["isolated"]:
        curs.execute(_ISOLATE, [GROUP, code])
        shard = curs.execute(_SHARD, [GROUP, code]).fetchone()
    home = (curs.execute(_COORDINATOR) if code == CITY else curs.execute(_STORE_NODE, [events_table(code)])).fetchone()
    if _node(shard) == _node(home):
        return
    if code == CITY:
        curs.execute(_SHARDS_HERE, [*_node(home), True])
    curs.execute(_MOVE, [shard["shardid"], *_node(shard), *_node(home)])
    if code == CITY:
        curs.execute(_SHARDS_HERE, [*_node(home), False])


def _node(row: dict[str, Any]) -> tuple[str, int]:
    return row["nodename"], row["nodeport"]
