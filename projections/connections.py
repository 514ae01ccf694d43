"""asyncpg connections of the read side.

The report tables are named without their schema and found on the search path, so that an
as-of read can put temporary tables of the same names in front of them for one transaction.

A pooled connection goes back to its pool without asyncpg's reset statement (a round trip of
`RESET ALL`, `UNLISTEN *`, `CLOSE ALL` and advisory unlocks on every release): nothing here
leaves session state behind. Settings are made for a transaction (`SET LOCAL`,
`set_config(..., true)`), temporary tables go with their transaction, cursors live inside one,
and listeners have connections of their own. asyncpg still rolls back a transaction left open.
"""

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import asyncpg

SERVER_SETTINGS = {"search_path": "reports, public"}
CONNECT_TIMEOUT_SECONDS = 5.0  # a server that is down answers 503 soon, not after asyncpg's 60 s


async def create_pool(url: str, *, statement_timeout: str | None = None, **options) -> asyncpg.Pool:
    """A pool of the read side; `statement_timeout` (e.g. "30s") bounds each statement, so a
    stuck database answers a clear 503 instead of holding the request."""
    settings = SERVER_SETTINGS | ({"statement_timeout": statement_timeout} if statement_timeout else {})
    return await asyncpg.create_pool(url, server_settings=settings, reset=_nothing_to_reset, **options)


async def _nothing_to_reset(_conn: asyncpg.Connection) -> None:
    """Connections leave no session state (above): nothing to reset on release."""


async def connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url, server_settings=SERVER_SETTINGS)


class ServerPools:
    """One read pool per PostgreSQL server holding districts; a district's reads go to its own.

    `server_of` maps a store to its server's connection string (None for the service's own
    database, whose pool is `home`). Another server's pool is opened on its first read.
    """

    def __init__(self, home_url: str, server_of: Callable[[str], str | None], **options):
        self.home_url = home_url
        self.server_of = server_of
        self.options = options
        self.pools: dict[str | None, asyncpg.Pool] = {}
        self._opening = asyncio.Lock()

    @property
    def home(self) -> asyncpg.Pool:
        return self.pools[None]

    def url(self, server: str | None) -> str:
        return self.home_url if server is None else server

    async def of_server(self, server: str | None) -> asyncpg.Pool:
        if (pool := self.pools.get(server)) is None:
            async with self._opening:
                if (pool := self.pools.get(server)) is None:
                    pool = self.pools[server] = await create_pool(self.url(server), timeout=CONNECT_TIMEOUT_SECONDS,
                                                                  **self.options)
        return pool

    async def of_store(self, store: str) -> asyncpg.Pool:
        return await self.of_server(self.server_of(store))

    async def close(self) -> None:
        await asyncio.gather(*(pool.close() for pool in self.pools.values()))


ALL_DISTRICTS = "*"  # the read scope of those who see every district
_PLAIN_SCOPE = re.compile(r"[0-9A-Za-z_]+|\*")


@asynccontextmanager
async def scoped(pool: asyncpg.Pool, scope: str, *, readonly: bool = True) -> AsyncIterator[asyncpg.Connection]:
    """A snapshot in which the database itself shows only `scope`'s rows (`readonly=False` only
    to fill temporary tables: the role may write nothing else).

    The role and the scope are set for this transaction only (never for the pooled session),
    so row-level security hides every other district's report rows and events even from a
    query that forgets its own filter. The scope is bound by `stations_guard.bind_scope`
    (migration 0021): the transaction cannot bind another, and setting `stations.scope` binds
    nothing. The transaction begins and both are set in one round trip: a statement with
    parameters holds one command only, so a scope of plain letters, digits or '*' (every scope
    the service makes) stands in the text as a literal; any other is passed as a parameter, in a
    statement of its own. Begun by hand, the transaction takes no `conn.transaction()` inside
    it: a savepoint is `SAVEPOINT` SQL.
    """
    begin = f"BEGIN ISOLATION LEVEL REPEATABLE READ{' READ ONLY' if readonly else ''}; SET LOCAL ROLE stations_reader"
    plain = _PLAIN_SCOPE.fullmatch(scope)
    async with pool.acquire() as conn:
        await conn.execute(f"{begin}; SELECT stations_guard.bind_scope('{scope}')" if plain else begin)
        try:
            if not plain:
                await conn.execute("SELECT stations_guard.bind_scope($1)", scope)
            yield conn
        except BaseException:
            with contextlib.suppress(Exception):  # a connection lost meanwhile: the pool closes it
                await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
