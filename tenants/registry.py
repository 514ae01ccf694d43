"""The registry of districts and towns, stored in `tenants.*` and seeded with Xiamen's."""

import csv
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from pathlib import Path

from eventsourcing.postgres import PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow

from domain.divisions import DistrictVersion, Divisions, TownVersion

# Announced whenever the registry changes, so that followers of every district's log
# start following a new district at once.
REGISTRY_CHANNEL = "stations_registry"

# Citus places each district's store schema on a worker and moves it online (README, Citus mode):
# the service's own placement table and mover are for servers without it.
CITUS_PLACES = ("Citus 模式下区的存放与迁移由 Citus 负责（citus_move_shard_placement 或 citus_rebalance_start()），"
                "本服务自有的放置（tenants.placements、move-district）不用 / in Citus mode Citus places and moves"
                " districts (citus_move_shard_placement or citus_rebalance_start()); the service's own placement"
                " (tenants.placements, move-district) is not used")


class PlacementRefused(Exception):
    """A district placed by the service itself on a Citus coordinator: nothing changed."""


def placed_by_citus(datastore: PostgresDatastore) -> bool:
    """Whether the datastore is a Citus coordinator's (a library datastore of our own knows; any other does not)."""
    return getattr(datastore, "citus", False)


# The dates these towns became 街道 (DOMAIN.md; 闽政文〔2021〕3号 and the province's 2022-02-16
# approval). Before them the codes named no 街道, so records dated earlier are refused.
BECAME_SUBDISTRICT = {
    "350213002": date(2021, 1, 6),   # 马巷街道
    "350213003": date(2021, 1, 6),   # 新店街道
    "350212003": date(2022, 2, 16),  # 新民街道
    "350212004": date(2022, 2, 16),  # 西柯街道
}


def bundled_divisions() -> tuple[list[DistrictVersion], list[TownVersion]]:
    """Xiamen's 6 districts and 45 towns, as shipped with the service."""
    text = (Path(__file__).parent / "data" / "xiamen-divisions.csv").read_text(encoding="utf-8")
    districts: dict[str, DistrictVersion] = {}
    towns: list[TownVersion] = []
    for row in csv.DictReader(text.splitlines()):
        districts.setdefault(row["district_code"], DistrictVersion(row["district_code"], row["district_name"]))
        towns.append(TownVersion(row["town_code"], row["district_code"], row["town_name"], row["town_kind"],
                                 valid_from=BECAME_SUBDISTRICT.get(row["town_code"])))
    return list(districts.values()), towns


def seed(datastore: PostgresDatastore) -> bool:
    """Load the bundled divisions into an empty registry; say whether it was empty. (Under the
    table's lock until the commit: processes starting together seed it once.)"""
    with datastore.transaction(commit=True) as curs:
        curs.execute("LOCK TABLE tenants.districts IN EXCLUSIVE MODE")
        curs.execute("SELECT count(*) AS n FROM tenants.districts")
        if curs.fetchone()["n"]:
            return False
        _register(curs, *bundled_divisions())
    return True


def register(datastore: PostgresDatastore, districts: Iterable[DistrictVersion],
             towns: Iterable[TownVersion], *, server: str | None = None) -> None:
    """Add district and town versions (a new district, a rename from a date...); new districts
    are placed on `server` (a connection string) when given, else on the service's own database
    (or, on a Citus coordinator, where Citus puts them: no `server` then)."""
    if server is not None and placed_by_citus(datastore):
        raise PlacementRefused(CITUS_PLACES)
    with datastore.transaction(commit=True) as curs:
        _register(curs, districts, towns, server=server)


def _register(curs: Cursor[DictRow], districts: Iterable[DistrictVersion], towns: Iterable[TownVersion], *,
              server: str | None = None) -> None:
    districts = list(districts)
    if server is not None:
        curs.executemany("INSERT INTO tenants.placements (district, server) VALUES (%s, %s)",
                         [(d.code, server) for d in districts])
    curs.executemany(
        "INSERT INTO tenants.districts (code, name, valid_from, valid_to) VALUES (%s, %s, %s, %s)",
        [(d.code, d.name, d.valid_from, d.valid_to) for d in districts])
    curs.executemany(
        "INSERT INTO tenants.towns (code, district, name, kind, valid_from, valid_to)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        [(t.code, t.district, t.name, t.kind, t.valid_from, t.valid_to) for t in towns])
    curs.execute(f"NOTIFY {REGISTRY_CHANNEL}")


def rename_town(datastore: PostgresDatastore, code: str, on: date, name: str, kind: str) -> None:
    """A town renamed (or turned from 镇 into 街道) from a date: close its version, open a new one."""
    divisions = load(datastore)
    current = divisions.town(code, on)
    if current is None:
        raise LookupError(f"no town {code} on {on}")
    with datastore.transaction(commit=True) as curs:
        curs.execute(
            "UPDATE tenants.towns SET valid_to = %s::date - 1 WHERE code = %s"
            " AND valid_from IS NOT DISTINCT FROM %s::date",
            (on, code, current.valid_from))
    register(datastore, [], [replace(current, name=name, kind=kind, valid_from=on, valid_to=None)])


def place(datastore: PostgresDatastore, district: str, server: str | None) -> None:
    """Record that a district now lives on `server` (None: the service's own database). Only the
    last step of moving a district: its tables must be on that server first (README)."""
    if placed_by_citus(datastore):
        raise PlacementRefused(CITUS_PLACES)
    with datastore.transaction(commit=True) as curs:
        if server is None:
            curs.execute("DELETE FROM tenants.placements WHERE district = %s", (district,))
        else:
            curs.execute("INSERT INTO tenants.placements (district, server) VALUES (%s, %s)"
                         " ON CONFLICT (district) DO UPDATE SET server = excluded.server, placed_at = now()",
                         (district, server))
        curs.execute(f"NOTIFY {REGISTRY_CHANNEL}")


def placements(datastore: PostgresDatastore) -> dict[str, str]:
    """The districts that live on another server than the service's own database, and where."""
    with datastore.transaction() as curs:
        curs.execute("SELECT district, server FROM tenants.placements")
        return {row["district"]: row["server"] for row in curs.fetchall()}


async def other_servers(conn) -> list[str]:
    """The servers districts are placed on besides the service's own (an asyncpg connection)."""
    return [row["server"] for row in await conn.fetch("SELECT DISTINCT server FROM tenants.placements ORDER BY 1")]


def load(datastore: PostgresDatastore) -> Divisions:
    with datastore.transaction() as curs:
        curs.execute("SELECT code, name, valid_from, valid_to FROM tenants.districts ORDER BY code, valid_from")
        districts = [DistrictVersion(**row) for row in curs.fetchall()]
        curs.execute("SELECT code, district, name, kind, valid_from, valid_to FROM tenants.towns"
                     " ORDER BY code, valid_from")
        towns = [TownVersion(**row) for row in curs.fetchall()]
    return Divisions(districts, towns)
