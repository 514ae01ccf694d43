"""Read your own writes: wait until a district's projection has reached a position."""

import asyncio
from collections import defaultdict

import asyncpg

from projections.worker import PROGRESS_CHANNEL
from tenants.event_store import SCHEMA, chain_table


async def lags(conn: asyncpg.Connection, stores: list[str]) -> dict[str, int]:
    """How many events each store's log holds beyond what its projection has reached."""
    if not stores:
        return {}
    parts = [f"SELECT '{store}' AS store, (SELECT coalesce(max(position), 0) FROM {SCHEMA}.\"{chain_table(store)}\")"
             f" - coalesce((SELECT position FROM reports.tracking WHERE district = '{store}'), 0) AS lag"
             for store in stores]  # store codes come from the registry: digits, or 'city'
    return {row["store"]: row["lag"] for row in await conn.fetch(" UNION ALL ".join(parts))}


class Progress:
    """Follows the worker's `reports_progress` notices (from any process) on one connection."""

    def __init__(self, pool: asyncpg.Pool, timeout: float = 10.0):
        self.pool = pool
        self.timeout = timeout
        self.reached: dict[str, int] = {}
        self.changed: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.listener: asyncpg.Connection | None = None

    async def start(self, database_url: str) -> None:
        self.listener = await asyncpg.connect(database_url)
        await self.listener.add_listener(PROGRESS_CHANNEL, self._on_notify)

    async def stop(self) -> None:
        if self.listener is not None:
            await self.listener.close()

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        district, _, position = payload.partition(":")
        self.reached[district] = max(self.reached.get(district, 0), int(position))
        self.changed[district].set()

    async def position(self, district: str) -> int:
        async with self.pool.acquire() as conn:
            found = await conn.fetchval("SELECT position FROM reports.tracking WHERE district = $1", district)
        self.reached[district] = max(self.reached.get(district, 0), found or 0)
        return self.reached[district]

    async def wait_for(self, district: str, position: int) -> bool:
        """Whether the district's projection reached `position` within the timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        changed = self.changed[district]
        if await self.position(district) >= position:
            return True
        while self.reached.get(district, 0) < position:
            changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                return await self.position(district) >= position
        return True
