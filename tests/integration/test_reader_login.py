"""The API's scoped reads log in as stations_reader (STATIONS_READER_DATABASE_URL): a session
that misbehaves has no other role to go back to, and a pool of a login that could leave the scope
is refused as it opens (docs/database-roles.md)."""

from dataclasses import replace

import asyncpg
import pytest

from domain.records import parse_record
from projections.connections import NotAReader, scoped
from service.queries import read_pool
from tenants.stores import events_table
from tests.builders import service_delivered
from tests.support import context


@pytest.fixture
def written(runtime, district, other_district):
    """An event in each of two districts: the second's is what a read of the first must not see."""
    for d in (district, other_district):
        runtime.tenants.ledger(d.code).record([parse_record(service_delivered(d.town))], context(runtime, d))
    return district, other_district


def events_of(code: str) -> str:
    return events_table(code)


async def test_a_scoped_read_is_the_readers_own_session_and_reset_role_widens_nothing(runtime, written):
    mine, theirs = written
    async with runtime.reading(follow=False):
        async with scoped(await read_pool(runtime, mine.code), mine.code) as conn:
            assert await conn.fetchval("SELECT session_user") == "stations_reader"
            await conn.execute("RESET ROLE")
            assert await conn.fetchval("SELECT current_user") == "stations_reader"
            await conn.execute("SELECT set_config('stations.scope', '*', true)")
            assert await conn.fetchval(f"SELECT count(*) FROM {events_of(mine.code)}") == 1
            assert await conn.fetchval(f"SELECT count(*) FROM {events_of(theirs.code)}") == 0
            # READ ONLY said by SET TRANSACTION (for Citus's workers, migration 0029): read-only all the same.
            assert await conn.fetchval("SHOW transaction_read_only") == "on"
            with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
                await conn.execute("CREATE TEMPORARY TABLE written_in_a_read (x int)")


@pytest.mark.parametrize("escape", ["SET ROLE stations_writer", "SET ROLE stations_owner", "SET ROLE postgres",
                                    "SET SESSION AUTHORIZATION stations_writer", "SET SESSION AUTHORIZATION postgres"])
async def test_the_readers_session_cannot_become_a_role_that_sees_more(runtime, written, escape):
    mine, theirs = written
    async with runtime.reading(follow=False):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with scoped(await read_pool(runtime, mine.code), mine.code) as conn:
                await conn.execute(escape)
        async with scoped(await read_pool(runtime, mine.code), mine.code) as conn:  # the pool still reads as before
            assert await conn.fetchval(f"SELECT count(*) FROM {events_of(theirs.code)}") == 0


async def test_the_service_refuses_to_read_through_a_login_that_could_leave_the_scope(runtime, database_url):
    """STATIONS_READER_DATABASE_URL set, by mistake, to the superuser's (or the writer's) URL."""
    misconfigured = replace(runtime, reader_url=database_url)
    with pytest.raises(NotAReader, match="stations_reader"):
        async with misconfigured.reading(follow=False):
            pass
