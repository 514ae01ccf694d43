"""What an operator watches of each district's log: how many events it has taken, and how far
its projection trails it (in events and in seconds), read from the database when asked, so that
every process tells the same (whichever wrote the events: an API process, `stations demo`, an
import)."""

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from tenants.stores import chain_table, store_codes


@dataclass(frozen=True, slots=True)
class LogFigures:
    store: str
    events: int  # appended to the log, ever
    lag_events: int  # not yet projected
    lag_seconds: float  # how long the oldest of those has waited (0 when none waits)


class LogCounter:
    """Counts each log's events once: a scrape counts only those appended since the last (a
    position may be skipped, by a write that rolled back, so the last position is not a count)."""

    def __init__(self) -> None:
        self._counted: dict[str, tuple[int, int]] = {}  # store -> (through position, events)

    async def figures(self, conn: asyncpg.Connection, stores: list[str], now: datetime) -> list[LogFigures]:
        here = [store for store in await store_codes(conn) if store in stores]
        projected = dict(await conn.fetch("SELECT district, position FROM reports.tracking WHERE district = ANY($1)",
                                          here))
        figures = []
        for store in here:
            log = chain_table(store)
            through, events = self._counted.get(store, (0, 0))
            new = await conn.fetchrow(f"SELECT count(*) AS n, max(position) AS last FROM {log} WHERE position > $1",
                                      through)
            if new["n"]:
                through, events = new["last"], events + new["n"]
                if through > self._counted.get(store, (0, 0))[0]:  # a scrape at once may have counted further
                    self._counted[store] = (through, events)
            waiting = await conn.fetchrow(f"SELECT count(*) AS n, min(recorded_at) AS since FROM {log}"
                                          " WHERE position > $1", projected.get(store, 0))
            waited = (now - waiting["since"]).total_seconds() if waiting["n"] else 0.0
            figures.append(LogFigures(store, events, waiting["n"], max(waited, 0.0)))
        return figures
