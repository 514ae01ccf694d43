"""The database keeps a district's rows its own, even from a query that forgets its filter."""

import asyncpg

from projections import connections
import pytest

from projections.connections import ALL_DISTRICTS, scoped
from domain.records import parse_record
from projections.worker import ProjectionWorker
from tenants.stores import events_table, records_table
from tests.builders import service_delivered
from tests.support import context


@pytest.fixture
async def pool(database_url):
    pool = await connections.create_pool(database_url, min_size=1, max_size=2)
    yield pool
    await pool.close()


@pytest.fixture
async def two_districts(pool, runtime, district, other_district):
    for d in (district, other_district):
        runtime.tenants.ledger(d.code).record([parse_record(service_delivered(d.town))], context(runtime, d))
        await ProjectionWorker(pool).catch_up(d.code)
    return district, other_district


async def test_a_query_without_a_filter_sees_only_its_own_district(pool, two_districts):
    mine, theirs = two_districts
    async with scoped(pool, mine.code) as conn:
        figures = await conn.fetch("SELECT DISTINCT district FROM reports.service_figures")
        their_events = await conn.fetch(f'SELECT * FROM {events_table(theirs.code)}')
        their_records = await conn.fetch(f'SELECT * FROM {records_table(theirs.code)}')
        my_events = await conn.fetch(f'SELECT * FROM {events_table(mine.code)}')

    assert [r["district"] for r in figures] == [mine.code]
    assert their_events == [] and their_records == []
    assert len(my_events) == 1


async def test_the_city_scope_sees_every_district(pool, two_districts):
    codes = {d.code for d in two_districts}
    async with scoped(pool, ALL_DISTRICTS) as conn:
        seen = {r["district"] for r in await conn.fetch("SELECT DISTINCT district FROM reports.service_figures")}
    assert codes <= seen


async def test_a_scoped_reader_cannot_write(pool, two_districts):
    mine, _ = two_districts
    async with scoped(pool, mine.code) as conn:
        with pytest.raises(asyncpg.PostgresError):
            await conn.execute("DELETE FROM reports.service_figures")


async def test_the_scope_ends_with_its_transaction(pool, two_districts):
    mine, _ = two_districts
    async with scoped(pool, mine.code):
        pass
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT current_user") != "stations_reader"
        assert (await conn.fetchval("SELECT current_setting('stations.scope', true)") or "") == ""
