"""What a superuser can do to a district's tables, the way an attacker would: not a test module."""

import asyncpg

from kernel import chain
from tenants.stores import chain_table, events_table


def table(code: str) -> str:
    return events_table(code)


async def tamper(conn: asyncpg.Connection, statement: str, *args) -> None:
    """Change the store as a superuser would, with the append-only triggers switched off."""
    async with conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(statement, *args)


async def change_event(conn: asyncpg.Connection, code: str, position: int) -> None:
    """Rewrite one event's payload (a service's hours 1.50 become 9.50)."""
    await tamper(conn, f"UPDATE {table(code)} SET state = convert_to(replace(convert_from(state, 'UTF8'),"
                       f" '1.50', '9.50'), 'UTF8') WHERE notification_id = $1", position)


async def recompute_chain(conn: asyncpg.Connection, code: str) -> None:
    """Link the (changed) events again, so that the chain table agrees with them."""
    value = chain.GENESIS
    for row in await conn.fetch(f"SELECT * FROM {table(code)} ORDER BY notification_id"):
        leaf = chain.leaf(row["notification_id"], row["originator_id"], row["originator_version"], row["topic"],
                          bytes(row["state"]))
        value = chain.link(value, leaf)
        await tamper(conn, f'UPDATE {chain_table(code)} SET leaf = $2, chain = $3 WHERE position = $1',
                     row["notification_id"], leaf, value)
