"""Every district's ledger, and the city's own, opened on first use on the datastore of the
server the district is placed on (the service's own database unless the registry says else)."""

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable

from eventsourcing.persistence import OperationalError
from eventsourcing.postgres import PostgresDatastore

from domain.divisions import Divisions
from writes.ledger import DistrictLedger
from tenants import registry
from tenants.event_store import DistrictRecorder
from tenants.stores import CITY

log = logging.getLogger(__name__)

HOME = None  # the server of DATABASE_URL, where the registry and the city's store live
# A server found down is not tried again for this long: its districts answer 503 at once
# instead of each request waiting for it.
RETRY_SERVER_AFTER_SECONDS = 10.0


class Tenants:
    def __init__(self, datastore: PostgresDatastore,
                 open_server: Callable[[str], PostgresDatastore] | None = None):
        """`datastore` is the service's own database; `open_server` opens (migrating it first)
        another server a district is placed on."""
        self.datastore = datastore
        self._open_server = open_server
        self._servers: dict[str, PostgresDatastore] = {}
        self._unreachable: dict[str, float] = {}  # when opening a server last failed
        self.divisions: Divisions = registry.load(datastore)
        self.placements: dict[str, str] = registry.placements(datastore)
        self._ledgers: dict[str, DistrictLedger] = {}
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Read the registry again (a district or a town version was added); a new district's
        event store is opened at once, so that its (empty) reports can be read before its first record."""
        self.divisions = registry.load(self.datastore)
        placements = registry.placements(self.datastore)
        with self._lock:
            for moved in {d for d in self._ledgers if placements.get(d) != self.placements.get(d)}:
                del self._ledgers[moved]
            self.placements = placements
            for server in set(self._servers) - set(placements.values()):
                self._servers.pop(server).close()
        self.open_all()

    def knows(self, district: str) -> bool:
        if not self.divisions.has_district(district):
            self.refresh()
        return self.divisions.has_district(district)

    def stores(self) -> list[str]:
        """Every event store: each district's, and the city's."""
        return [*self.divisions.district_codes, CITY]

    def server_of(self, store: str) -> str | None:
        """The connection string of the server holding the store; HOME (None) for the service's own."""
        return self.placements.get(store, HOME)

    def servers(self) -> dict[str | None, list[str]]:
        """Every server that holds a store, with the stores it holds; the service's own first."""
        held: dict[str | None, list[str]] = defaultdict(list)
        held[HOME] = []
        for store in self.stores():
            held[self.server_of(store)].append(store)
        return dict(held)

    def datastore_of(self, store: str) -> PostgresDatastore:
        server = self.server_of(store)
        if server is HOME:
            return self.datastore
        with self._lock:
            if server not in self._servers:
                if self._open_server is None:
                    raise LookupError(f"{store} is placed on another server and this process opens none")
                failed = self._unreachable.get(server)
                if failed is not None and time.monotonic() - failed < RETRY_SERVER_AFTER_SECONDS:
                    raise OperationalError(f"the server of {store} was unreachable moments ago")
                try:
                    self._servers[server] = self._open_server(server)
                except OperationalError:
                    self._unreachable[server] = time.monotonic()
                    raise
                self._unreachable.pop(server, None)
            return self._servers[server]

    def opened_ledger(self, district: str) -> DistrictLedger | None:
        """The district's ledger if it is open already: no database work, for the event loop."""
        return self._ledgers.get(district)

    def ledger(self, district: str) -> DistrictLedger:
        """The district's (or the city's) ledger; its store is created the first time it is opened."""
        ledger = self._ledgers.get(district)
        if ledger is None:
            if district != CITY and not self.knows(district):
                raise LookupError(f"no district {district}")
            datastore = self.datastore_of(district)
            with self._lock:
                ledger = self._ledgers.get(district)
                if ledger is None:
                    recorder = DistrictRecorder(datastore, district)
                    # Only a new store runs its DDL: on a live store it would take locks that
                    # deadlock with concurrent writes (a second process starting under load).
                    if not recorder.exists():
                        recorder.create_table()
                        announce_new_store(datastore)
                    ledger = self._ledgers[district] = DistrictLedger(district, recorder)
        return ledger

    def open_all(self) -> None:
        """Open every store; one on another server that is down is opened on its first use
        instead, so that the other districts are served meanwhile."""
        for store in self.stores():
            try:
                self.ledger(store)
            except OperationalError:
                if self.server_of(store) is HOME:
                    raise
                log.warning("the server of %s is unreachable; its store opens on first use", store)

    def close(self) -> None:
        for datastore in self._servers.values():
            datastore.close()
        self.datastore.close()


def announce_new_store(datastore: PostgresDatastore) -> None:
    """Tell the projection workers following that server to look for the new store now."""
    with datastore.transaction(commit=True) as curs:
        curs.execute(f"NOTIFY {registry.REGISTRY_CHANNEL}")
