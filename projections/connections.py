"""asyncpg connections of the read side.

The report tables are named without their schema and found on the search path, so that an
as-of read can put temporary tables of the same names in front of them for one transaction.
"""

import asyncpg

SERVER_SETTINGS = {"search_path": "reports, public"}


async def create_pool(url: str, **options) -> asyncpg.Pool:
    return await asyncpg.create_pool(url, server_settings=SERVER_SETTINGS, **options)


async def connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url, server_settings=SERVER_SETTINGS)
