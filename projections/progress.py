"""Read your own writes: wait until a district's projection has reached a position."""

import asyncio
import contextlib
from collections import defaultdict
from functools import partial

import asyncpg
import orjson

from projections import report_cache
from projections.connections import CONNECT_TIMEOUT_SECONDS, ServerPools
from projections.worker import LOST_DATABASE, PROGRESS_CHANNEL
from tenants.event_store import server_label


WAIT_SECONDS = 10.0  # how long a read waits for the position it asks for, unless set otherwise
UNHEARD = 2**63 - 1  # notices may have been missed: any position is worth reading the table for


class Progress:
    """Follows the workers' `reports_progress` notices (from any process), one listening
    connection per server that holds districts.

    A notice is a wake-up, never a fact: any login on the cluster may send one. A position is
    trusted only as read from `reports.tracking` (`reached` holds only what was read there), and
    the report tables a notice says a batch changed (`report_cache.MOVES`) are believed only from
    a session of the service's own login (the workers connect as the service does)."""

    def __init__(self, pools: ServerPools, timeout: float = WAIT_SECONDS):
        self.pools = pools
        self.timeout = timeout
        self.reached: dict[str, int] = {}  # read from reports.tracking: facts
        self.heard: dict[str, int] = {}  # what notices claimed: only whether reading the table is worth it
        self.changed: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.listening: list[asyncio.Task] = []
        self._hearing: set[asyncio.Task] = set()

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
            heard = _Senders(listener)
            try:
                await listener.add_listener(PROGRESS_CHANNEL, partial(self._on_notify, heard))
                for district, changed in self.changed.items():  # notices may have been sent while deaf
                    self.heard[district] = UNHEARD
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

    def _on_notify(self, senders: "_Senders", _conn: object, pid: int, _channel: str, payload: str) -> None:
        task = asyncio.create_task(self._hear(senders, pid, payload))
        self._hearing.add(task)
        task.add_done_callback(self._hearing.discard)

    async def _hear(self, senders: "_Senders", pid: int, payload: str) -> None:
        """A batch committed, says the notice: what it changed is told to `report_cache.MOVES`
        (when a worker of ours sent it) before anyone waiting for the district is woken to read
        its position afresh."""
        try:
            notice = orjson.loads(payload)
            district, position = str(notice["district"]), int(notice["position"])
            server = tuple(notice["server"])
            moved = ((*server, *notice["before"]), (*server, notice["after"], position),
                     report_cache.changes_of(notice["changed"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            return  # not a worker's notice
        try:
            with contextlib.suppress(*LOST_DATABASE):  # a lost listener is connected again (`_listen`)
                if await senders.ours(pid):
                    report_cache.MOVES.moved(district, *moved)
        finally:
            if (waiting := self.changed.get(district)) is not None:  # kept only for districts waited for
                self.heard[district] = max(self.heard.get(district, 0), position)
                waiting.set()

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
        read = True  # the table, at first and whenever a notice claims the position
        while True:
            changed.clear()  # before looking, so a notice that comes meanwhile is not missed
            if self.reached.get(district, 0) >= position or read and await self.position(district) >= position:
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                return await self.position(district) >= position
            read = self.heard.get(district, 0) >= position


class _Senders:
    """Whether a notice's sending session is of the listener's own login (as a worker's is):
    asked once a session, one question at a time on the listening connection."""

    def __init__(self, listener: asyncpg.Connection):
        self.listener = listener
        self.known: dict[int, bool] = {}
        self._asking = asyncio.Lock()

    async def ours(self, pid: int) -> bool:
        if pid not in self.known:
            async with self._asking:
                if pid not in self.known:
                    self.known[pid] = bool(await self.listener.fetchval(
                        "SELECT usename = session_user FROM pg_stat_activity WHERE pid = $1", pid))
        return self.known[pid]
