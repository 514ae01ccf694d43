"""What the use cases run in, and the one place that makes what they hand down: a batch's
`Context`, its `Provenance`, a report's `Scope`.

The runtime holds every district's store on its server (the write side), where the keyring of
public keys and the witness are kept (never the private key: the signer's process alone reads it), the
deadlines and rules reports are judged by and the clock; while `reading`, the read pools of every server
(the reader's login for scoped reads, the service's own for the rest) and the projections' progress too. The composition root (`stations.bootstrap`) makes it.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from eventsourcing.postgres import PostgresDatastore

from audit.signing import Keyring
from domain.decisions import Context
from domain.events import Provenance
from kernel import clock
from projections.connections import ServerPools, login_of, open_reader
from projections.gaps import Rules
from projections.log_figures import LogCounter
from projections.progress import Progress
from projections.reports import Deadlines, Scope
from service.callers import Caller
from service.errors import Forbidden
from tenants.tenancy import Tenants
from writes.batching import WriteQueue


@dataclass(frozen=True)
class ReadOptions:
    pool_size: int  # connections per server
    statement_timeout: str | None  # the longest a statement may run (e.g. "30s")
    min_position_timeout: float  # seconds a read waits for the position it asks for


@dataclass(frozen=True)
class AuditOptions:
    keyring: Path  # the trusted public keys, read afresh when asked (a rotation needs no restart)
    witness_dir: Path
    installation: str  # the database's id, pinned (`stations.installation`): its subdirectory of witness_dir
    checkpoint_wait: float  # seconds a report step waits for its checkpoint before saying it is pending


@dataclass
class Runtime:
    database_url: str
    reader_url: str  # stations_reader's login: the API's scoped reads (docs/database-roles.md)
    datastore: PostgresDatastore
    tenants: Tenants
    audit: AuditOptions
    deadlines: Deadlines
    rules: Rules
    read_options: ReadOptions
    now: Callable[[], datetime] = clock.now  # China Standard Time
    writes: WriteQueue = field(default_factory=WriteQueue)
    log_counter: LogCounter = field(default_factory=LogCounter)
    _pools: ServerPools | None = None
    _own_pools: ServerPools | None = None
    _progress: Progress | None = None

    def today(self) -> date:
        return self.now().date()

    def keyring(self) -> Keyring:
        return Keyring.load(self.audit.keyring)

    def scope(self, district: str, period: str) -> Scope:
        return Scope(district, period, self.tenants.divisions, self.today(), self.deadlines, rules=self.rules)

    def provenance(self, caller: Caller, request_id: str, *, at: datetime | None = None) -> Provenance:
        """Who records, through which request, and when (now, unless it happened at `at`)."""
        return Provenance(caller.sub, caller.role, request_id, at or self.now())

    def context(self, district: str, caller: Caller, request_id: str, *, at: datetime | None = None) -> Context:
        """A batch's context: a station or a town records in its own town only, each level its
        own duties and those below it (`domain.duties`)."""
        if caller.level is None:
            raise Forbidden(f"角色 {caller.role} 不报送记录", f"role {caller.role} records nothing")
        return Context(district=district, divisions=self.tenants.divisions, today=self.today(),
                       provenance=self.provenance(caller, request_id, at=at),
                       town_scope=caller.town if caller.town_scoped() else None, level=caller.level)

    @property
    def reads(self) -> ServerPools:
        """The reader's pools: every read under a caller's scope (`projections.connections.scoped`)."""
        if self._pools is None:
            raise RuntimeError("the runtime is not reading: use `async with runtime.reading()`")
        return self._pools

    @property
    def own_reads(self) -> ServerPools:
        """The service's own login's pools, unscoped: progress, health, metrics, the signer's
        requests, the access log, an operator's export."""
        if self._own_pools is None:
            raise RuntimeError("the runtime is not reading: use `async with runtime.reading()`")
        return self._own_pools

    @property
    def progress(self) -> Progress:
        if self._progress is None:
            raise RuntimeError("the runtime is not reading: use `async with runtime.reading()`")
        return self._progress

    @asynccontextmanager
    async def reading(self, *, follow: bool = True, pool_size: int | None = None) -> AsyncIterator["Runtime"]:
        """The read pools of every server (another server's opened on its first read) and the
        projections' progress, heard from every server when `follow`s (else read when asked)."""
        options = self.read_options
        sizes = {"min_size": 1, "max_size": pool_size or options.pool_size, "statement_timeout": options.statement_timeout}
        own = ServerPools(self.database_url, self.tenants.server_of, **sizes)
        pools = ServerPools(self.reader_url, self.tenants.server_of, login=login_of(self.reader_url),
                            init=open_reader, **sizes)
        progress = Progress(own, options.min_position_timeout)
        try:
            await asyncio.gather(own.of_server(None), pools.of_server(None))
            if follow:
                await progress.start(list(self.tenants.servers()))
            self._pools, self._own_pools, self._progress = pools, own, progress
            yield self
        finally:
            self._pools = self._own_pools = self._progress = None
            await progress.stop()
            await asyncio.gather(own.close(), pools.close())

    def close(self) -> None:
        self.tenants.close()
