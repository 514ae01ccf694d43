"""What the use cases run in: every district's store on its server, the signing key, and the
deadlines and rules reports are judged by. Made by the composition root (`stations.bootstrap`)."""

from dataclasses import dataclass

from eventsourcing.postgres import PostgresDatastore

from audit.signing import SigningKey
from projections.gaps import Rules
from projections.reports import Deadlines
from tenants.tenancy import Tenants


@dataclass
class Runtime:
    database_url: str
    datastore: PostgresDatastore
    tenants: Tenants
    signing_key: SigningKey
    deadlines: Deadlines
    rules: Rules

    def close(self) -> None:
        self.tenants.close()
