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
from urllib.parse import quote, unquote, urlsplit, urlunsplit

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


def with_login(url: str, user: str, password: str | None = None) -> str:
    """The connection URL `url` with another login (its password dropped unless one is given)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    login = quote(user, safe="") + (f":{quote(password, safe='')}" if password is not None else "")
    return urlunsplit(parts._replace(netloc=f"{login}@{host}"))


def login_of(url: str) -> tuple[str, str | None]:
    """The user and password a connection URL names."""
    parts = urlsplit(url)
    if not parts.username:
        raise ValueError("the reader's connection URL must name its login (stations_reader)")
    return unquote(parts.username), None if parts.password is None else unquote(parts.password)


class NotAReader(RuntimeError):
    """The login given for scoped reads could escape row-level security."""


async def open_reader(conn: asyncpg.Connection) -> None:
    """Each connection of a reader pool, as it opens: refused unless its login is the reader's
    (`refuse_unless_reader`), then given the guard's table its transactions bind their scope in
    (migration 0023: `scope()` reads it back there rather than from the cluster's lock table)."""
    await refuse_unless_reader(conn)
    await conn.execute("SELECT stations_guard.open_session()")


async def refuse_unless_reader(conn: asyncpg.Connection) -> None:
    """A superuser, a login that bypasses row-level security or one that may become the writer or
    the owner could leave its scope: none reads."""
    login, escapes = await conn.fetchrow(
        "SELECT session_user, r.rolsuper OR r.rolbypassrls OR pg_has_role(session_user, 'stations_writer', 'MEMBER')"
        " OR pg_has_role(session_user, 'stations_owner', 'MEMBER') FROM pg_roles r WHERE r.rolname = session_user")
    if escapes is not False:
        raise NotAReader(f"the login {login} may leave the read scope: scoped reads log in as stations_reader"
                         " (STATIONS_READER_DATABASE_URL, docs/database-roles.md)")


class ServerPools:
    """One read pool per PostgreSQL server holding districts; a district's reads go to its own.

    `server_of` maps a store to its server's connection string (None for the service's own
    database, whose pool is `home`). Another server's pool is opened on its first read, logged in
    as `login` (user, password) when given, else as that server's own connection string says.
    """

    def __init__(self, home_url: str, server_of: Callable[[str], str | None], *,
                 login: tuple[str, str | None] | None = None, **options):
        self.home_url = home_url
        self.server_of = server_of
        self.login = login
        self.options = options
        self.pools: dict[str | None, asyncpg.Pool] = {}
        self._opening = asyncio.Lock()

    @property
    def home(self) -> asyncpg.Pool:
        return self.pools[None]

    def url(self, server: str | None) -> str:
        if server is None:
            return self.home_url
        return server if self.login is None else with_login(server, *self.login)

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

    The pool logs in as stations_reader (the runtime's `reads`), so no `RESET ROLE` leads back
    to a role row-level security does not bind; the role is taken again for the transaction all
    the same, so that a pool of another login (a test's) reads as the reader too. The scope is set
    for this transaction only, so row-level security hides every other district's report rows and
    events even from a query that forgets its own filter. The scope is bound by `stations_guard.bind_scope`
    (migration 0021): the transaction cannot bind another, and setting `stations.scope` binds
    nothing. The transaction begins and both are set in one round trip: a statement with
    parameters holds one command only, so a scope of plain letters, digits or '*' (every scope
    the service makes) stands in the text as a literal; any other is passed as a parameter, in a
    statement of its own. Begun by hand, the transaction takes no `conn.transaction()` inside
    it: a savepoint is `SAVEPOINT` SQL.
    """
    # READ ONLY by SET TRANSACTION, not in the BEGIN: Citus passes a BEGIN's READ ONLY on to the
    # workers' transactions, where the guard could then not make its table of the scope the
    # coordinator answered (migration 0029), and asked it again for every row read.
    begin = ("BEGIN ISOLATION LEVEL REPEATABLE READ"
             f"{'; SET TRANSACTION READ ONLY' if readonly else ''}; SET LOCAL ROLE stations_reader")
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
