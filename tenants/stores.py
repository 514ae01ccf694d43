"""Where each event store lives: the one place that names a store's schema and tables.

Every store is a schema of its own, named from its code: a district's `district_<code>`
(`district_350203`), the city bureau's `city_store`. In it, three tables: `events` (written by
the eventsourcing library's recorder), `records` (the record index) and `chain` (the hash
chain). What the stores share (the append-only trigger's function, `heads()`, the library's
composite type) stays in the schema `eventstore`. Schema names are made only from a checked
code, so the qualified names below need no quoting.
"""

import re

CITY = "city"  # the city bureau's own store: its half-year report to the province
SHARED_SCHEMA = "eventstore"
DISTRICT_PREFIX = "district_"
CITY_SCHEMA = "city_store"
EVENTS, RECORDS, CHAIN = "events", "records", "chain"
# A store's schema, as the database's own functions (migration 0027) recognise it.
STORE_SCHEMA_PATTERN = r"^(district_[0-9]{6}|city_store)$"
_DISTRICT_CODE = re.compile(r"[0-9]{6}")


def store_schema(code: str) -> str:
    if code == CITY:
        return CITY_SCHEMA
    if not _DISTRICT_CODE.fullmatch(code):
        raise ValueError(f"not a store's code: {code!r}")
    return DISTRICT_PREFIX + code


def store_of_schema(schema: str) -> str:
    """The code of the store a schema holds (the inverse of `store_schema`)."""
    return CITY if schema == CITY_SCHEMA else schema.removeprefix(DISTRICT_PREFIX)


def events_table(code: str) -> str:
    return f"{store_schema(code)}.{EVENTS}"


def records_table(code: str) -> str:
    return f"{store_schema(code)}.{RECORDS}"


def chain_table(code: str) -> str:
    return f"{store_schema(code)}.{CHAIN}"


def notify_channel(code: str) -> str:
    return channel_of(store_schema(code))


def channel_of(schema: str) -> str:
    """The channel a write to a store notifies: the library's own name for a qualified table
    (its dots made underscores), one channel per store."""
    return f"{schema}_{EVENTS}"


def store_of_channel(channel: str) -> str:
    return store_of_schema(channel.removesuffix(f"_{EVENTS}"))


async def store_codes(conn) -> list[str]:
    """Every event store on the connection's server: the districts placed there, and the city's
    on the service's own (last). A store is there once its chain table (made last) is."""
    rows = await conn.fetch("SELECT schemaname FROM pg_tables WHERE schemaname ~ $1 AND tablename = $2",
                            STORE_SCHEMA_PATTERN, CHAIN)
    return sorted((store_of_schema(row["schemaname"]) for row in rows), key=lambda code: (code == CITY, code))
