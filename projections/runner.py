"""The projection worker and the checkpoint signer of one server's stores, run as background
tasks of a process (`stations project`, or an API process that projects itself: then it signs
only if it is given the signer)."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from audit.checkpoints import Signer
from audit.signer import run_signer
from projections import connections
from projections.worker import BATCH_SIZE, SNAPSHOT_EVERY, ProjectionWorker

log = logging.getLogger(__name__)


def _report_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the projection worker stopped", exc_info=task.exception())


@asynccontextmanager
async def run_worker(url: str, signer: Signer | None, *, pool_size: int, snapshot_every: int = SNAPSHOT_EVERY,
                     batch_size: int = BATCH_SIZE, label: str = "") -> AsyncIterator[list[asyncio.Task]]:
    """The server's worker and checkpoints until the block ends (each finishes what it has in
    hand); the tasks, named with `label`, for a readiness check to see they still run."""
    # No connection yet: a server that is down must not stop the service starting; the worker
    # connects (and reconnects) by itself.
    pool = await connections.create_pool(url, min_size=0, max_size=pool_size)
    worker = ProjectionWorker(pool, snapshot_every=snapshot_every, batch_size=batch_size)
    stopping = asyncio.Event()
    tasks = [asyncio.create_task(worker.run(url, stopping), name=f"projection-worker{label}")]
    if signer is not None:
        tasks.append(asyncio.create_task(run_signer(pool, signer, stopping), name=f"checkpoint-signer{label}"))
    for task in tasks:
        task.add_done_callback(_report_failure)
    try:
        yield tasks
    finally:
        stopping.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await pool.close()
