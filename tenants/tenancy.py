"""Every district's ledger, and the city's own, opened on first use on the one shared datastore."""

import threading

from eventsourcing.postgres import PostgresDatastore

from domain.divisions import Divisions
from domain.ledger import DistrictLedger
from tenants import registry
from tenants.event_store import CITY, DistrictRecorder


class Tenants:
    def __init__(self, datastore: PostgresDatastore):
        self.datastore = datastore
        self.divisions: Divisions = registry.load(datastore)
        self._ledgers: dict[str, DistrictLedger] = {}
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Read the registry again (a district or a town version was added); a new district's
        event store is opened at once, so that its (empty) reports can be read before its first record."""
        self.divisions = registry.load(self.datastore)
        for district in self.divisions.district_codes:
            self.ledger(district)

    def knows(self, district: str) -> bool:
        if not self.divisions.has_district(district):
            self.refresh()
        return self.divisions.has_district(district)

    def stores(self) -> list[str]:
        """Every event store: each district's, and the city's."""
        return [*self.divisions.district_codes, CITY]

    def ledger(self, district: str) -> DistrictLedger:
        """The district's (or the city's) ledger; its store is created the first time it is opened."""
        ledger = self._ledgers.get(district)
        if ledger is None:
            if district != CITY and not self.knows(district):
                raise LookupError(f"no district {district}")
            with self._lock:
                ledger = self._ledgers.get(district)
                if ledger is None:
                    recorder = DistrictRecorder(self.datastore, district)
                    # Only a new store runs its DDL: on a live store it would take locks that
                    # deadlock with concurrent writes (a second process starting under load).
                    if not recorder.exists():
                        recorder.create_table()
                    ledger = self._ledgers[district] = DistrictLedger(district, recorder)
        return ledger

    def open_all(self) -> None:
        for store in self.stores():
            self.ledger(store)
