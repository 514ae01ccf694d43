"""The key away from the API (issue 27): the API process holds no private key and answers that a
step's checkpoint is pending until the signer (another process) signs it; and `stations audit
verify` exits non-zero once a superuser has rewritten a district's log and re-signed it."""

import asyncio
import dataclasses
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from audit import checkpoints
from audit.checkpoints import Signer
from audit.signer import sign_asked
from audit.signing import SigningKey, init_keys
from audit.witness import Witness, installation
from projections import connections
from projections.runner import run_worker
from stations.app import create_app
from stations.cli import app as cli_app
from stations.keys import signer
from stations.settings import Settings, get_settings
from tests.builders import service_delivered
from tests.integration.tampering import change_event, recompute_chain, tamper
from tests.support import TEST_SECRET, bearer, caught_up, make_district, record, signed


@pytest.fixture
def api_settings(settings: Settings, tmp_path: Path) -> Settings:
    """An API process that does not project (nor sign); its signing key file does not exist."""
    init_keys(tmp_path / "signer" / "signing-key.pem", tmp_path / "keyring.pem")  # the signer's, elsewhere
    return settings.model_copy(update={
        "environment": "development", "run_projections": False, "checkpoint_wait_seconds": 0.2,
        "signing_key_file": tmp_path / "api" / "signing-key.pem", "keyring_file": tmp_path / "keyring.pem",
        "witness_dir": tmp_path / "witness"})


async def test_the_api_process_holds_no_private_key(api_settings, tmp_path, database_url):
    service = create_app(api_settings)
    async with service.router.lifespan_context(service), \
            run_worker(database_url, None, pool_size=2), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=service), base_url="http://test") as client:
        runtime = service.state.runtime
        assert not [f.name for f in dataclasses.fields(runtime) if isinstance(getattr(runtime, f.name), SigningKey)]
        district = make_district(runtime)
        await record(client, district, [service_delivered(district.town)])
        submitted = await caught_up(lambda: client.post(f"/v1/districts/{district.code}/reports/2025H1/submit",
                                                        headers=bearer("district", district.code)))
        assert submitted.status_code == 200, submitted.text
        pending = submitted.json()["checkpoint"]
        assert pending["pending"] is True and pending["position"] == submitted.json()["position"]
        assert not (tmp_path / "api").exists(), "the API made (or looked for) no key file"
        key = (await client.get("/v1/audit/public-key")).json()
        assert key["key_id"] == SigningKey.load(tmp_path / "signer" / "signing-key.pem").key_id

        # The signer, as `stations project` runs it, signs what was asked.
        signer_settings = api_settings.model_copy(update={"signing_key_file": tmp_path / "signer" / "signing-key.pem"})
        pool = await connections.create_pool(database_url, min_size=1, max_size=2)
        try:
            assert await sign_asked(pool, signer(signer_settings, runtime.tenants, database_url)) >= 1
        finally:
            await pool.close()
        fetched = await client.get(pending["href"], headers=bearer("auditor"))
        [made] = fetched.json()["checkpoints"]
        assert made["position"] == pending["position"] and made["key_id"] == key["key_id"]
        verified = (await client.get(f"/v1/districts/{district.code}/audit/verify", headers=bearer("auditor"))).json()
        assert verified["ok"] and verified["witnessed"] == 2, verified


async def test_the_cli_verify_exits_non_zero_after_a_superusers_rewrite(client, app_runtime, settings, database_url,
                                                                       tmp_path):
    district = make_district(app_runtime)
    await record(client, district, [service_delivered(district.town) for _ in range(3)])
    submitted = await caught_up(lambda: client.post(f"/v1/districts/{district.code}/reports/2025H1/submit",
                                                    headers=bearer("district", district.code)))
    assert submitted.status_code == 200, submitted.text
    assert "signature" in await signed(client, submitted.json())
    env = {"DATABASE_URL": database_url, "STATIONS_DATA_DIR": str(settings.data_dir),
           "STATIONS_JWT_SECRET": TEST_SECRET, "STATIONS_ENVIRONMENT": "development", "COLUMNS": "200"}

    async def verify_cli():  # in a thread: the command runs an event loop of its own
        get_settings.cache_clear()
        try:
            return await asyncio.to_thread(CliRunner().invoke, cli_app, ["audit", "verify", "--district",
                                                                         district.code], env=env)
        finally:
            get_settings.cache_clear()

    before = await verify_cli()
    assert before.exit_code == 0, before.output

    conn = await connections.connect(database_url)
    try:
        await change_event(conn, district.code, 2)
        await recompute_chain(conn, district.code)
        await tamper(conn, "DELETE FROM audit.checkpoints WHERE district = $1", district.code)
        attacker = Signer(SigningKey.load_or_create(tmp_path / "attacker.pem"),
                          Witness(tmp_path / "attacker", await installation(conn), lambda *_: None))
        await checkpoints.make(conn, attacker, district.code, "report_submitted")
    finally:
        await conn.close()

    after = await verify_cli()
    assert after.exit_code == 1, after.output
    assert "differs from its witness in the city's store" in after.output
    assert "differs from its witness in the witness directory" in after.output
