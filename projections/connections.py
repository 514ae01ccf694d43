"""asyncpg connections of the read side.

The report tables are named without their schema and found on the search path, so that an
as-of read can put temporary tables of the same names in front of them for one transaction.
"""

import asyncpg

SERVER_SETTINGS = {"search_path": "reports, public"}


async def create_pool(url: str, *, statement_timeout: str | None = None, **options) -> asyncpg.Pool:
    """A pool of the read side; `statement_timeout` (e.g. "30s") bounds each statement, so a
    stuck database answers a clear 503 instead of holding the request."""
    settings = SERVER_SETTINGS | ({"statement_timeout": statement_timeout} if statement_timeout else {})
    return await asyncpg.create_pool(url, server_settings=settings, **options)


async def connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url, server_settings=SERVER_SETTINGS)
