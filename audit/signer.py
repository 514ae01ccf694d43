"""The signer: the one process per database that holds the private key and makes checkpoints.

A report step asks for its checkpoint (`ask`, from the API, which never holds the key) and the
signer signs what is asked, newest first, then the daily checkpoints of stores whose log grew,
one store at a time with what was asked meanwhile first. One signer per database (an advisory
lock): another waits, ready to take over. As it takes over, and hourly after, it witnesses the
checkpoints a stopped signer saved and did not witness.
"""

import asyncio
import logging
from itertools import groupby

import asyncpg
from cryptography.exceptions import InvalidSignature

from audit import checkpoints
from audit.checkpoints import DAILY, Checkpoint, Signer
from kernel import clock
from tenants.stores import chain_table, store_codes

log = logging.getLogger(__name__)

CHANNEL = "checkpoint_requests"
LOCK = 0x73746174_6e736967  # pg advisory lock of the database's signer ("statnsig")
ASKED_AT_ONCE = 50
IDLE_SECONDS = 1.0  # looks again this often when no notice comes (a notice can be missed)
DAILY_EVERY_SECONDS = 3600.0


async def ask(conn: asyncpg.Connection, district: str, position: int, reason: str) -> None:
    """Ask for the district's log up to `position` (a report step's) to be signed."""
    await conn.execute("INSERT INTO audit.checkpoint_requests (district, position, reason) VALUES ($1, $2, $3)"
                       " ON CONFLICT DO NOTHING", district, position, reason)
    await conn.execute(f"NOTIFY {CHANNEL}")


async def signed(conn: asyncpg.Connection, district: str, position: int) -> Checkpoint | None:
    """The checkpoint of the log up to `position` exactly, once signed."""
    row = await conn.fetchrow("SELECT * FROM audit.checkpoints WHERE district = $1 AND position = $2"
                              " ORDER BY tree_size LIMIT 1", district, position)
    return checkpoints.from_row(row) if row else None


async def sign_asked(pool: asyncpg.Pool, signer: Signer) -> int:
    """Sign every checkpoint asked for, newest first; how many were."""
    done = 0
    while True:
        async with pool.acquire() as conn:
            asked = await conn.fetch("SELECT district, position, reason FROM audit.checkpoint_requests"
                                     " ORDER BY asked_at DESC LIMIT $1", ASKED_AT_ONCE)
            for request in asked:
                await checkpoints.make(conn, signer, request["district"], request["reason"], up_to=request["position"])
                await conn.execute("DELETE FROM audit.checkpoint_requests WHERE district = $1 AND position = $2",
                                   request["district"], request["position"])
        done += len(asked)
        if len(asked) < ASKED_AT_ONCE:
            return done


async def sign_daily(pool: asyncpg.Pool, signer: Signer) -> None:
    """Checkpoint each store whose log grew since a checkpoint a day old, what is asked first."""
    async with pool.acquire() as conn:
        stores = await store_codes(conn)
    for district in stores:
        await sign_asked(pool, signer)
        async with pool.acquire() as conn:
            try:
                head = await conn.fetchval(f'SELECT max(position) FROM {chain_table(district)}')
            except asyncpg.UndefinedTableError:
                continue  # registered by another process, its store not opened yet
            last = await conn.fetchrow("SELECT made_at, position FROM audit.checkpoints WHERE district = $1"
                                       " ORDER BY tree_size DESC LIMIT 1", district)
            if head and (last is None or (head > last["position"] and clock.now() - last["made_at"] >= DAILY)):
                await checkpoints.make(conn, signer, district, "daily")


async def witness_unwitnessed(pool: asyncpg.Pool, signer: Signer) -> int:
    """Witness every checkpoint of this server the witness directory has no line of (a signer that
    stopped between saving a checkpoint and witnessing it); how many were. Only what this signer's
    key signed, its signature checked: a row someone wrote into the table is not vouched for here,
    and `verify` names it unwitnessed."""
    async with pool.acquire() as conn:
        stored = [checkpoints.from_row(r) for r in await conn.fetch(
            "SELECT * FROM audit.checkpoints ORDER BY district, tree_size")]
    done = foreign = 0
    for district, made in groupby(stored, key=lambda c: c.district):
        in_file = await signer.witness.sizes_in_file(district)
        for checkpoint in made:
            if checkpoint.tree_size in in_file:
                continue
            if not _signed_by(signer, checkpoint):
                foreign += 1
                continue
            await signer.witness.checkpoint_made(district, checkpoint.as_json())
            done += 1
    if done or foreign:
        log.warning("witnessed %s checkpoints saved and not witnessed then; %s unwitnessed are not this signer's"
                    " to vouch for (`stations audit verify` names them)", done, foreign)
    return done


def _signed_by(signer: Signer, checkpoint: Checkpoint) -> bool:
    if checkpoint.key_id != signer.key.key_id:
        return False
    try:
        signer.key.public.verify(checkpoint.signature, checkpoint.message())
        return True
    except InvalidSignature:
        return False


async def run_signer(pool: asyncpg.Pool, signer: Signer, stopping: asyncio.Event,
                     daily_every: float = DAILY_EVERY_SECONDS) -> None:
    """Sign until `stopping`, while this process holds the database's signer lock."""
    woken = asyncio.Event()
    loop = asyncio.get_running_loop()

    def heard(*_: object) -> None:
        woken.set()

    while not stopping.is_set():
        try:
            async with pool.acquire() as listener:  # holds the lock and hears the requests
                if not await listener.fetchval("SELECT pg_try_advisory_lock($1)", LOCK):
                    await _wait(stopping, woken, daily_every / 60)
                    continue
                await listener.add_listener(CHANNEL, heard)
                try:
                    daily_due = loop.time()  # the first sweeps once the asked ones are signed
                    while not stopping.is_set():
                        woken.clear()
                        await sign_asked(pool, signer)
                        if loop.time() >= daily_due:
                            await witness_unwitnessed(pool, signer)
                            await sign_daily(pool, signer)
                            daily_due = loop.time() + daily_every
                        await _wait(stopping, woken, IDLE_SECONDS)
                finally:
                    await listener.remove_listener(CHANNEL, heard)
                    await listener.execute("SELECT pg_advisory_unlock_all()")
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            log.warning("the signer pauses (%s: %s)", type(exc).__name__, exc)
            await _wait(stopping, woken, IDLE_SECONDS)


async def _wait(stopping: asyncio.Event, woken: asyncio.Event, seconds: float) -> None:
    waits = [asyncio.create_task(stopping.wait()), asyncio.create_task(woken.wait())]
    await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for task in waits:
        task.cancel()
