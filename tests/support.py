"""Helpers the integration and end-to-end tests share (their fixtures are `conftest.py`'s):
districts of their own, tokens, and writing and reading through the API or a ledger. Not a test
module."""

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import orjson
import psycopg
from eventsourcing.persistence import IntegrityError

from api import auth
from domain.decisions import Context
from domain.divisions import DistrictVersion, TownVersion
from domain.events import Provenance
from domain.records import parse_record
from kernel import clock
from projections.worker import PROGRESS_CHANNEL
from service.runtime import Runtime
from stations.settings import Settings
from tenants import registry

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"


def unstarted_settings(**overrides) -> Settings:
    """Production settings for an app whose routes and document are read, never started."""
    return Settings(environment="production", database_url="postgresql://unused@localhost/unused",
                    reader_database_url="postgresql://stations_reader@localhost/unused", jwt_secret=TEST_SECRET, signing_key_file="/unused/signing-key.pem", **overrides)


@dataclass(frozen=True)
class SampleDistrict:
    code: str
    name: str
    towns: dict[str, str]  # code -> name

    @property
    def town(self) -> str:
        return next(iter(self.towns))

    @property
    def other_town(self) -> str:
        return list(self.towns)[1]


def make_district(runtime: Runtime, server: str | None = None) -> SampleDistrict:
    """A new district with three towns, registered under random codes nobody else uses (placed
    on `server` when given, else on the service's own database)."""
    while True:
        code = f"{random.randrange(700_000, 1_000_000)}"  # real division codes start with 1 to 6
        name = f"试{code}区"
        towns = {f"{code}001": "甲街道", f"{code}002": "乙街道", f"{code}101": "丙镇"}
        try:
            registry.register(runtime.datastore, [DistrictVersion(code, name)],
                              [TownVersion(t, code, n, "街道" if n.endswith("街道") else "镇")
                               for t, n in towns.items()], server=server)
        except IntegrityError:
            continue  # drawn before, by this run or an earlier one on the same database
        runtime.tenants.refresh()
        return SampleDistrict(code, name, towns)


def bearer(role: str, district: str | None = None, town: str | None = None) -> dict[str, str]:
    token = auth.mint(TEST_SECRET, sub=f"test-{role}", role=auth.Role(role), district=district, town=town)
    return {"Authorization": f"Bearer {token}"}


# -- through a ledger -------------------------------------------------------------------------

def context(runtime: Runtime, district: SampleDistrict, request_id: str = "req") -> Context:
    return Context(district.code, runtime.tenants.divisions, clock.today(),
                   Provenance("tester", "district", request_id, clock.now()))


def write(runtime: Runtime, district: SampleDistrict, records: list[dict], request_id: str = "req"):
    ledger = runtime.tenants.ledger(district.code)
    return ledger.record([parse_record(r) for r in records], context(runtime, district, request_id))


def stored_count(runtime: Runtime, district: SampleDistrict) -> int:
    return len(runtime.tenants.ledger(district.code).recorder.select_notifications(start=1, limit=100_000))


# -- through the API --------------------------------------------------------------------------

async def record(client: httpx.AsyncClient, district: SampleDistrict, records: list[dict]) -> int:
    """The district's batch, written; the position it was written at."""
    answer = await client.post(f"/v1/districts/{district.code}/records", json={"records": records},
                               headers=bearer("district", district.code))
    assert answer.status_code == 200, answer.text
    return answer.json()["position"]


async def caught_up(ask: Callable[[], Awaitable[httpx.Response]], tries: int = 10) -> httpx.Response:
    """`ask()`'s answer, asked again while it is a 503: not yet (the worker may be busy signing the
    stores of earlier tests as the module's service starts), each try waiting on the projections'
    position for as long as the service does."""
    for _ in range(tries):
        answer = await ask()
        if answer.status_code != 503:
            break
    return answer


async def signed(client: httpx.AsyncClient, answer: dict, within: float = 120) -> dict:
    """A report step's checkpoint: as the answer carries it, or, pending (the signer busy signing the
    stores earlier tests left, as the module's service starts), fetched where the answer says."""
    checkpoint = answer["checkpoint"]
    deadline = asyncio.get_running_loop().time() + within
    while checkpoint.get("pending"):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"no checkpoint signed within {within} s: {checkpoint}")
        await asyncio.sleep(0.2)
        listed = await client.get(checkpoint["href"], headers=bearer("auditor"))
        assert listed.status_code == 200, listed.text
        checkpoint = next(iter(listed.json()["checkpoints"]), checkpoint)
    return checkpoint


async def report(client: httpx.AsyncClient, district: SampleDistrict, position: int, period: str = "2025H1",
                 **params) -> dict:
    """The district's JSON report once the projections reach `position`."""
    answer = await caught_up(lambda: client.get(f"/v1/districts/{district.code}/reports/{period}",
                                                params={"min_position": position, **params},
                                                headers=bearer("district", district.code)))
    assert answer.status_code == 200, answer.text
    return answer.json()


def sign(district: SampleDistrict, town: str) -> str:
    """The signboard text of the district's town's station."""
    return f"{district.name}{district.towns[town]}民政服务站"


@contextlib.asynccontextmanager
async def forging(login: str, district: str, position: int) -> AsyncIterator[None]:
    """Meanwhile, `login` (another login of the cluster: `forger_login`) sends forged
    `reports_progress` notices, again and again, claiming the district's reports reached `position`."""
    notice = orjson.dumps({"district": district, "position": position, "server": ["forged", "0"],
                           "before": ["forged", 0], "after": "forged", "changed": {}}).decode()
    async with await psycopg.AsyncConnection.connect(login, autocommit=True) as forger:
        stop = asyncio.Event()

        async def keep_sending() -> None:  # stops when asked, not by cancelling a query in flight
            while not stop.is_set():
                await forger.execute("SELECT pg_notify(%s, %s)", [PROGRESS_CHANNEL, notice])
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.05)

        sending = asyncio.create_task(keep_sending())
        try:
            yield
        finally:
            stop.set()
            await asyncio.wait_for(sending, 30)


async def approve_towns(client: httpx.AsyncClient, district: SampleDistrict, towns: list[str] | None = None,
                        period: str = "2025H1") -> int:
    """Each town's report (every town of the district unless named) submitted and approved, as
    a district's own submission counts only its towns' approved versions; the last position."""
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}/reports/{period}"
    position = 0
    for town in district.towns if towns is None else towns:
        for step in ("submit", "approve"):
            answer = await caught_up(lambda town=town, step=step: client.post(f"{base}/towns/{town}/{step}",
                                                                               headers=staff))
            assert answer.status_code == 200, answer.text
            position = answer.json()["position"]
    return position


async def unreported_city_period(client: httpx.AsyncClient) -> str:
    """The latest half year before 2025 the city has not submitted: the city's store is shared by
    every test (and every run) on the database, and its report of a half year is submitted once."""
    for year in range(2024, 2000, -1):
        for period in (f"{year}H2", f"{year}H1"):
            frozen = await client.get(f"/v1/city/reports/{period}", params={"version": "submitted"},
                                      headers=bearer("city"))
            if frozen.status_code == 404:
                return period
    raise AssertionError("no half year left for the city's report on this database")
