"""Fixtures of the audit trail's integration tests: a connection, a signer and a logged district."""

import pytest

from audit.checkpoints import Signer
from audit.signing import SigningKey
from audit.witness import Witness, installation
from domain.records import parse_record
from projections import connections
from service.audit_trail import witness_in_city
from tests.builders import service_delivered, station_established
from tests.support import context


@pytest.fixture
async def conn(database_url):
    conn = await connections.connect(database_url)
    yield conn
    await conn.close()


@pytest.fixture
def key(tmp_path) -> SigningKey:
    return SigningKey.load_or_create(tmp_path / "signing-key.pem")


@pytest.fixture
async def signer(conn, runtime, key, tmp_path) -> Signer:
    """Signs with `key`, witnessing in the city's store and a witness directory of the test's own."""
    return Signer(key, Witness(tmp_path / "witness", await installation(conn), witness_in_city(runtime.tenants)))


@pytest.fixture
def logged(runtime, district):
    """A district with five events."""
    records = [station_established(district.town)] + [service_delivered(district.town) for _ in range(4)]
    runtime.tenants.ledger(district.code).record([parse_record(r) for r in records], context(runtime, district))
    return district
