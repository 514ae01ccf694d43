"""District reports already made, given again while nothing they stand on has changed.

A district's report is made from its report tables, which the projection only ever changes
together with the district's tracking row (one transaction per batch, `worker.py`; a rebuild
moves the row too), and from the city's training rows. So the tracking row's position and the
transaction that last wrote it (`xmin`: unique within a server), the database and server, the
city's training rows and the `Scope` (period, day, divisions, deadlines) decide the report: while
they stay the same, the report read before is the report. The stamp is read in the caller's own
snapshot under its scope, so row-level security still decides what is seen: a district out of
scope has no stamp and is never served from here.

A report that has to be made afresh (the district's rows moved: a write the caller wants to
see) mostly repeats its towns' parts, since a batch of a few records touches a town or two:
`PARTS` keeps each town's part by the rows it is made of, so only the towns whose rows changed
are made again.

Reports are kept as JSON text, so each caller gets a copy of its own to change as it likes.
Parts are kept as they are made, shared by every report made from them: a report holding them
is only ever encoded, and callers get a copy decoded from its text (`reports.py`).

The rows it is made from are mostly the same too, and the worker's notice of each batch says
which tables the batch changed (`MOVES`, told by `progress.py` in every API process): a district's rows
are kept (`ROWS`) with the stamp they were read at, and when every transaction that moved the
tracking row from that stamp to the one seen now is known (each links the row's stamp before
to its stamp after, so no other transaction, a rebuild or another process's batch, can have
slipped in between), only the tables those changed are read again.
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import orjson

from writes.transcoding import right_sized

ENTRIES = 64  # two periods of a few dozen districts; a report is ~100 kB of text
# The towns of those reports (a district has a dozen or two): no more, as the garbage collector
# walks every kept part, and the rows in its key, on each full collection.
PART_ENTRIES = 256


class ReportCache:
    def __init__(self, entries: int = ENTRIES):
        self.entries = entries
        self._kept: OrderedDict[Hashable, bytes] = OrderedDict()

    def get(self, key: Hashable) -> Any | None:
        text = self._kept.get(key)
        if text is None:
            return None
        self._kept.move_to_end(key)
        return orjson.loads(text)

    def text(self, key: Hashable) -> bytes | None:
        """What `get` gives, as its JSON text."""
        text = self._kept.get(key)
        if text is not None:
            self._kept.move_to_end(key)
        return text

    def put(self, key: Hashable, report: Any) -> bytes:
        """Keep `report`; its JSON text, right-sized (orjson's own buffer may be twice its length)."""
        self._kept[key] = text = right_sized(encode(report))
        self._kept.move_to_end(key)
        while len(self._kept) > self.entries:
            self._kept.popitem(last=False)
        return text



def encode(report: Any) -> bytes:
    """A report's JSON text (keys that are not text become text, as `json` makes them)."""
    return orjson.dumps(report, option=orjson.OPT_NON_STR_KEYS)


class SharedParts:
    """Parts of reports kept as made, never copied: whoever uses one must not change it."""

    def __init__(self, entries: int = PART_ENTRIES):
        self.entries = entries
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()

    def made(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """What `make` gives for `key`: kept from before, or made now and kept."""
        found = self._kept.get(key)
        if found is None:
            found = self._kept[key] = make()
            while len(self._kept) > self.entries:
                self._kept.popitem(last=False)
        self._kept.move_to_end(key)
        return found


REPORTS = ReportCache()
# The city's reports, keyed by the period, the city's status and its districts' report texts:
# a text given again is the very object kept above, whose hash Python keeps and which compares
# by identity first, so a city report nothing under which changed costs no decoding, summing or
# encoding. Its few entries hold those texts a little longer.
CITIES = ReportCache(entries=4)
PARTS = SharedParts()


Changed = dict[str, frozenset[str] | None]  # report table: the towns whose rows changed (None: any)


# A notice's payload must stay under PostgreSQL's 8000 bytes: a batch naming more towns than
# this says only which tables it changed (every town of them: read again whole).
CHANGES_TEXT_BYTES = 6000


def changes_text(changed: Changed) -> str:
    """The tables a batch changed, with their towns, as a notice carries them."""
    text = orjson.dumps({table: sorted(towns) if towns is not None else None for table, towns in changed.items()})
    if len(text) > CHANGES_TEXT_BYTES:
        text = orjson.dumps(dict.fromkeys(changed))
    return text.decode()


def changes_of(notice: dict[str, list[str] | None]) -> Changed:
    return {table: frozenset(towns) if towns is not None else None for table, towns in notice.items()}


class Moves:
    """The tracking rows' moves the workers announced (`worker.py`, `progress.py`): for a
    district, from the row's stamp before a batch to its stamp after, with the report tables
    the batch changed (and in which towns, `tables.written`)."""

    def __init__(self, entries: int = 1024):  # a chain longer than that is read afresh
        self.entries = entries
        self._after: OrderedDict[tuple[str, Hashable], tuple[Hashable, Changed]] = OrderedDict()

    def moved(self, district: str, before: Hashable, after: Hashable, changed: Changed) -> None:
        self._after[(district, before)] = (after, changed)
        while len(self._after) > self.entries:
            self._after.popitem(last=False)

    def changed_between(self, district: str, before: Hashable, after: Hashable) -> Changed | None:
        """The tables (and their towns) changed from stamp `before` to stamp `after`; None
        unless every move between them is known (positions only grow along the moves, so the
        walk ends)."""
        changed: Changed = {}
        while before != after:
            move = self._after.get((district, before))
            if move is None:
                return None
            before, tables = move
            for table, towns in tables.items():
                was = changed.get(table, frozenset())
                changed[table] = None if towns is None or was is None else was | towns
        return changed


class KeptRows:
    """Each district's report rows of a period (table by table, as `report_rows` reads them),
    with the stamp of the snapshot they were read in."""

    def __init__(self, entries: int = 32):
        self.entries = entries
        self._kept: OrderedDict[tuple[str, str], tuple[Hashable, dict[str, list]]] = OrderedDict()

    def get(self, district: str, period: str) -> tuple[Hashable, dict[str, list]] | None:
        return self._kept.get((district, period))

    def put(self, district: str, period: str, stamp: Hashable, tables: dict[str, list]) -> None:
        self._kept[(district, period)] = (stamp, tables)
        self._kept.move_to_end((district, period))
        while len(self._kept) > self.entries:
            self._kept.popitem(last=False)


MOVES = Moves()
ROWS = KeptRows()

