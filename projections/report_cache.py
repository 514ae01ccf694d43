"""District reports already made, given again while nothing they stand on has changed.

A district's report is made from its report tables, which the projection only ever changes
together with the district's tracking row (one transaction per batch, `worker.py`; a rebuild
moves the row too), and from the city's training rows. So the tracking row's position and the
transaction that last wrote it (`xmin`: unique within a server), the database and server, the
city's training rows and the `Scope` (period, day, divisions, deadlines) decide the report: while
they stay the same, the report read before is the report. The stamp is read in the caller's own
snapshot under its scope, so row-level security still decides what is seen: a district out of
scope has no stamp and is never served from here.

Reports are kept as JSON text, so each caller gets a report of its own to change as it likes.
"""

import json
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import asyncpg

ENTRIES = 64  # two periods of a few dozen districts; a report is ~100 kB of text


class ReportCache:
    def __init__(self, entries: int = ENTRIES):
        self.entries = entries
        self._kept: OrderedDict[Hashable, str] = OrderedDict()

    def get(self, key: Hashable) -> dict[str, Any] | None:
        text = self._kept.get(key)
        if text is None:
            return None
        self._kept.move_to_end(key)
        return json.loads(text)

    def put(self, key: Hashable, report: dict[str, Any]) -> None:
        self._kept[key] = json.dumps(report, ensure_ascii=False)
        self._kept.move_to_end(key)
        while len(self._kept) > self.entries:
            self._kept.popitem(last=False)


REPORTS = ReportCache()


async def stamps(conn: asyncpg.Connection, districts: list[str]) -> dict[str, tuple[Any, ...]]:
    """Each district's tracking row as seen in this snapshot, with the server it is read on;
    districts without one (never projected, or out of the caller's scope) are left out."""
    rows = await conn.fetch("SELECT district, position, xmin::text AS moved_by, current_database() AS db,"
                            " pg_postmaster_start_time() AS server_start FROM tracking"
                            " WHERE district = ANY($1::text[])", districts)
    return {r["district"]: (r["db"], r["server_start"], r["moved_by"], r["position"]) for r in rows}
