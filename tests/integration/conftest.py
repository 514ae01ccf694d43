"""Fixtures of the integration tests: a connection, a signer and a logged district; a scratch database."""

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg.sql import SQL, Identifier

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


@pytest.fixture
def scratch_url(database_url: str) -> Iterator[str]:
    """A database of the test server's own, dropped after: for a migration's test from an empty one."""
    name = f"stations_scratch_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SQL("CREATE DATABASE {}").format(Identifier(name)))
    try:
        yield urlsplit(database_url)._replace(path=f"/{name}").geturl()  # the embedded server's has ?host=
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(SQL("DROP DATABASE {} WITH (FORCE)").format(Identifier(name)))
