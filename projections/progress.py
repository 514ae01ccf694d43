"""Read your own writes: wait until a district's projection has reached a position."""

import asyncio
from collections import defaultdict

import asyncpg
import orjson

from projections import report_cache
from projections.connections import CONNECT_TIMEOUT_SECONDS, ServerPools
from projections.worker import LOST_DATABASE, PROGRESS_CHANNEL
from tenants.event_store import server_label


WAIT_SECONDS = 10.0  # how long a read waits for the position it asks for, unless set otherwise


class Progress:
    """Follows the workers' `reports_progress` notices (from any process), one listening
    connection per server that holds districts."""

    def __init__(self, pools: ServerPools, timeout: float = WAIT_SECONDS):
        self.pools = pools
        self.timeout = timeout
        self.reached: dict[str, int] = {}
        self.changed: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.listening: list[asyncio.Task] = []

    async def start(self, servers: list[str | None]) -> None:
        self.listening = [asyncio.create_task(self._listen(self.pools.url(server)), name=f"progress{server_label(server)}")
                          for server in servers]

    async def stop(self) -> None:
        for task in self.listening:
            task.cancel()
        await asyncio.gather(*self.listening, return_exceptions=True)

    async def _listen(self, url: str) -> None:
        """Listen on one server for as long as the service runs, connecting again (backing off)
        whenever the connection is lost; meanwhile `wait_for` falls back to reading positions."""
        delay = 0.5
        while True:
            try:
                listener = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_SECONDS)
            except LOST_DATABASE:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            delay = 0.5
            lost = asyncio.Event()
            listener.add_termination_listener(lambda _conn, lost=lost: lost.set())
            try:
                await listener.add_listener(PROGRESS_CHANNEL, self._on_notify)
                for changed in self.changed.values():  # notices may have been sent while deaf
                    changed.set()
                await lost.wait()
            except LOST_DATABASE:
                pass
            finally:
                listener.terminate()
            self._forget(url)

    def _forget(self, url: str) -> None:
        """The positions heard from a server whose connection was lost: it may have crashed,
        losing its last batches (the worker commits them asynchronously) to project them again,
        so they are read afresh rather than trusted."""
        for district in [d for d in self.reached if self.pools.url(self.pools.server_of(d)) == url]:
            del self.reached[district]

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        """A worker's batch committed: how far its district got, and what it changed (told to
        `report_cache.MOVES` before anyone waiting is woken, so that they find it)."""
        notice = orjson.loads(payload)
        district, position = notice["district"], notice["position"]
        server = tuple(notice["server"])
        report_cache.MOVES.moved(district, (*server, *notice["before"]), (*server, notice["after"], position),
                                 report_cache.changes_of(notice["changed"]))
        self.reached[district] = max(self.reached.get(district, 0), position)
        self.changed[district].set()

    async def position(self, district: str) -> int:
        async with (await self.pools.of_store(district)).acquire() as conn:
            found = await conn.fetchval("SELECT position FROM reports.tracking WHERE district = $1", district)
        self.reached[district] = max(self.reached.get(district, 0), found or 0)
        return self.reached[district]

    async def wait_for(self, district: str, position: int) -> bool:
        """Whether the district's projection reached `position` within the timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        changed = self.changed[district]
        while True:
            changed.clear()  # before looking, so a notice that comes meanwhile is not missed
            if self.reached.get(district, 0) >= position or await self.position(district) >= position:
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                return await self.position(district) >= position
