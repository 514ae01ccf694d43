"""A checkpoint saved and not witnessed (its signer stopped in between) is named by `verify` once
older than the grace, and witnessed by the signer's sweep as it starts; the witness directory's
installation is pinned outside the database (issue 27). Real PostgreSQL."""

import asyncio
from datetime import timedelta

import pytest

from audit import checkpoints
from audit.checkpoints import Signer
from audit.signer import run_signer, witness_unwitnessed
from audit.signing import SigningKey
from audit.verify import verify
from audit.witness import Witness, from_city, installation, witness_file, witnesses
from projections import connections
from stations.installation import InstallationChanged, pinned_installation
from stations.settings import Settings
from tests.support import TEST_SECRET

NO_GRACE = timedelta(0)


class SignerStopped(RuntimeError):
    pass


def stops(*_: object) -> None:
    raise SignerStopped("the signer's process ends here")


async def problems(conn, signer: Signer, code: str, **options) -> list[str]:
    witness = signer.witness
    witnessed = await witnesses(conn, witness.directory, witness.installation, code)
    result = await verify(conn, code, {signer.key.key_id: signer.key.public}, witnessed, **options)
    return [p["detail"] for p in result.problems]


@pytest.fixture
async def pool(database_url):
    pool = await connections.create_pool(database_url, min_size=1, max_size=2)
    yield pool
    await pool.close()


def stopping_before(signer: Signer, *, city: bool) -> Signer:
    """The same key and witness directory, the process stopping before the city's witness (or
    after it, before the file's line)."""
    witness = signer.witness
    if city:
        return Signer(signer.key, Witness(witness.directory, witness.installation, stops))
    # The file's line cannot be written: its directory's place is taken by a file.
    blocked = witness.directory.with_name("blocked")
    blocked.write_text("not a directory")
    return Signer(signer.key, Witness(blocked, witness.installation, witness.city))


async def test_a_checkpoint_left_unwitnessed_is_named_after_the_grace_and_witnessed_by_the_sweep(
        conn, pool, logged, signer):
    with pytest.raises(SignerStopped):
        await checkpoints.make(conn, stopping_before(signer, city=True), logged.code, "report_submitted")

    assert await problems(conn, signer, logged.code) == []  # within the grace: the signer may be at it
    assert set(await problems(conn, signer, logged.code, grace=NO_GRACE)) == {
        "检查点 5 在市级事件库中没有见证 / checkpoint 5 has no witness in the city's store",
        "检查点 5 在见证目录中没有见证 / checkpoint 5 has no witness in the witness directory"}

    assert await witness_unwitnessed(pool, signer) == 1
    assert await problems(conn, signer, logged.code, grace=NO_GRACE) == []
    assert await witness_unwitnessed(pool, signer) == 0  # witnessed once: no second line, no second event
    path = witness_file(signer.witness.directory, signer.witness.installation, logged.code)
    assert len(path.read_text(encoding="utf-8").splitlines()) == 1
    assert len(await from_city(conn, logged.code)) == 1


async def test_a_stop_between_the_citys_witness_and_the_files_line_is_swept_too(conn, pool, logged, signer):
    with pytest.raises(NotADirectoryError):
        await checkpoints.make(conn, stopping_before(signer, city=False), logged.code, "report_submitted")
    assert await problems(conn, signer, logged.code, grace=NO_GRACE) == [
        "检查点 5 在见证目录中没有见证 / checkpoint 5 has no witness in the witness directory"]

    assert await witness_unwitnessed(pool, signer) == 1
    assert await problems(conn, signer, logged.code, grace=NO_GRACE) == []
    assert len(await from_city(conn, logged.code)) == 1


async def test_the_sweep_vouches_only_for_what_its_own_key_signed(conn, pool, logged, signer, tmp_path):
    """A row written into the checkpoints by another key (an attacker's) stays unwitnessed, and named."""
    other = SigningKey.load_or_create(tmp_path / "other.pem")
    forged = Signer(other, Witness(tmp_path / "elsewhere", signer.witness.installation, lambda *_: None))
    await checkpoints.make(conn, forged, logged.code, "report_submitted")

    await witness_unwitnessed(pool, signer)

    assert "checkpoint 5 has no witness in the city's store" in "\n".join(
        await problems(conn, signer, logged.code, grace=NO_GRACE))
    assert not witness_file(signer.witness.directory, signer.witness.installation, logged.code).exists()


async def test_the_signer_sweeps_as_it_starts(conn, pool, logged, signer):
    with pytest.raises(SignerStopped):
        await checkpoints.make(conn, stopping_before(signer, city=True), logged.code, "report_submitted")
    running = asyncio.create_task(run_signer(pool, signer, asyncio.Event()))
    try:
        for _ in range(300):
            if not await problems(conn, signer, logged.code, grace=NO_GRACE):
                break
            await asyncio.sleep(0.1)
    finally:  # its daily pass over every store of the test database comes after: not waited for
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert await problems(conn, signer, logged.code, grace=NO_GRACE) == []


# -- the installation, pinned --------------------------------------------------------------------

def settings_in(data_dir, database_url, **overrides) -> Settings:
    return Settings(environment="production", database_url=database_url, jwt_secret=TEST_SECRET,
                    reader_database_url="postgresql://stations_reader@unused/unused", data_dir=data_dir,
                    signing_key_file=data_dir / "signing-key.pem", **overrides)


async def test_the_installation_is_stored_at_the_first_start_and_kept(conn, database_url, tmp_path):
    found = await installation(conn)
    settings = settings_in(tmp_path, database_url)
    assert pinned_installation(settings, database_url) == found
    assert settings.installation_path.read_text(encoding="utf-8").strip() == found
    assert pinned_installation(settings, database_url) == found


async def test_a_database_whose_installation_changed_is_refused(database_url, tmp_path):
    """The database made again (or its row rewritten) would move the witnesses to a new, empty directory."""
    other = "00000000-0000-4000-8000-000000000000"
    settings = settings_in(tmp_path, database_url)
    settings.installation_path.write_text(other + "\n", encoding="utf-8")
    with pytest.raises(InstallationChanged, match=other):
        pinned_installation(settings, database_url)
    with pytest.raises(InstallationChanged, match="STATIONS_INSTALLATION_ID"):
        pinned_installation(settings_in(tmp_path / "pinned", database_url, installation_id=other), database_url)
    assert not (tmp_path / "pinned" / "installation-id").exists()  # a pinned id is never stored beside
