"""Citus mode's own steps of `stations migrate` (README, "Citus mode"): what a coordinator needs
beyond the migrations every server gets."""

import psycopg
from psycopg.rows import dict_row
from psycopg.sql import SQL, Identifier

from tenants.report_shards import GROUP, place_beside_store
from tenants.stores import STORE_SCHEMA_PATTERN, store_of_schema

# The report tables and their as-of snapshots: every one keyed by `district`, distributed on it in
# one co-located group, so a district's report rows share a shard and a node, and the city's report
# is one query the coordinator sends to every worker.
DISTRIBUTED_SCHEMAS = ("reports", "snapshots")

_UNDISTRIBUTED = """
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY(%s) AND c.relkind = 'r'
      AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'district' AND NOT a.attisdropped)
      AND NOT EXISTS (SELECT FROM pg_dist_partition p WHERE p.logicalrelid = c.oid)
    ORDER BY c.oid::regclass::text <> %s, 1, 2
"""


def citus_logins(superuser_url: str) -> None:
    """A distributed statement reaches the workers over a connection of the current role
    (stations_owner's inside the guard's SECURITY DEFINER functions): the service's roles may log
    in (the coordinator passes it on to the workers; give each node's pg_hba the nodes' hosts only
    for these roles, and a .pgpass if they have passwords)."""
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        for role in ("stations_owner", "stations_writer", "stations_reader"):
            conn.execute(f"ALTER ROLE {role} LOGIN")


def prepare_coordinator(superuser_url: str) -> None:
    """After the migrations: the logins the workers need, then the report tables distributed."""
    citus_logins(superuser_url)
    distribute_reports(superuser_url)


def distribute_reports(superuser_url: str) -> None:
    """Distribute by `district` every report and snapshot table not distributed yet (the first
    start's, or a later migration's new table), then place every store's rows (`place_reports`).
    Each table's read scope policy calls the guard per row first: Citus refuses a policy with a
    subquery."""
    with psycopg.connect(superuser_url, autocommit=True, row_factory=dict_row) as conn:
        for row in conn.execute(_UNDISTRIBUTED, [list(DISTRIBUTED_SCHEMAS), GROUP]).fetchall():
            table = f"{row['nspname']}.{row['relname']}"
            with conn.transaction():
                conn.execute(SQL("ALTER POLICY district_scope ON {} USING (stations_guard.scope() = ANY (ARRAY[district, '*']))")
                             .format(Identifier(row["nspname"], row["relname"])))
                conn.execute("SELECT create_distributed_table(%s, 'district', colocate_with => %s)",
                             [table, "default" if table == GROUP else GROUP])
    place_reports(superuser_url)


def place_reports(superuser_url: str) -> None:
    """Every store's report rows in their own shard group on its store's node: a store made before
    the tables were distributed, or moved since (`citus_move_shard_placement`, the rebalancer, which
    move the two co-located groups apart)."""
    with psycopg.connect(superuser_url, autocommit=True, row_factory=dict_row) as conn:
        stores = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname ~ %s ORDER BY 1", [STORE_SCHEMA_PATTERN])
        for row in stores.fetchall():
            with conn.transaction():
                place_beside_store(conn.cursor(), store_of_schema(row["nspname"]))
