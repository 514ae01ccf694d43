"""The composition root: from settings and a database URL to a running service's parts.

Nothing connects, creates tables or seeds data before `bootstrap` is called.
"""

from dataclasses import dataclass

from eventsourcing.postgres import PostgresDatastore

from audit.signing import SigningKey
from stations.database import migrate, wait_until_reachable
from stations.settings import Settings
from tenants import registry
from tenants.event_store import open_datastore
from tenants.tenancy import Tenants


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    datastore: PostgresDatastore
    tenants: Tenants
    signing_key: SigningKey

    def close(self) -> None:
        self.datastore.close()


def bootstrap(settings: Settings, database_url: str) -> Runtime:
    wait_until_reachable(database_url)
    migrate(database_url)
    datastore = open_datastore(database_url, pool_size=settings.write_pool_size,
                               max_overflow=settings.write_pool_overflow)
    registry.seed(datastore)
    tenants = Tenants(datastore)
    tenants.open_all()
    return Runtime(settings, database_url, datastore, tenants, SigningKey.load_or_create(settings.signing_key_path))
