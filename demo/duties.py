"""Who writes each of the demo's records: its owner (`domain.duties`), as the parties would, so the
demo's event log shows the division of work (职责分工) rather than a district entering everything."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from domain import duties
from domain.duties import Level

_REFERENCES = ("record", "inspection", "progress")  # a void's, a rectification's, a resolution's
_PROJECTS = ("project", "successor_project")


@dataclass
class Part:
    """Records of one batch that one party writes: a station's or a town's (`town`), the district's
    or the city's (`town` None)."""

    level: Level
    town: str | None
    records: list[dict] = field(default_factory=list)


class Division:
    """One demo district's work divided between its parties, batch after batch, remembering what
    decides later records' owners: each project's purchaser and town, each person's role, each
    record's owner and town."""

    def __init__(self) -> None:
        self.purchasers: dict[str, str] = {}
        self.project_towns: dict[str, str | None] = {}
        self.roles: dict[tuple[str, str], str] = {}
        self.written_by: dict[str, tuple[Level, str | None]] = {}  # record id -> (owner, town)

    def parts(self, batch: list[dict]) -> list[Part]:
        """The batch split by writer, each record after the records of the batch it needs."""
        parts: list[Part] = []
        placed: dict[tuple[str, str], int] = {}  # what a record provides -> the part it is in
        for record in batch:
            level, town = self.writer(record)
            after = max((placed[need] for need in _needs(record) if need in placed), default=-1)
            same = [i for i, part in enumerate(parts) if (part.level, part.town) == (level, town)]
            if same and same[-1] >= after:
                index = same[-1]
            else:
                parts.append(Part(level, town))
                index = len(parts) - 1
            parts[index].records.append(record)
            for provided in _provides(record):
                placed[provided] = index
        return parts

    def writer(self, record: dict[str, Any]) -> tuple[Level, str | None]:
        kind, ref = record["type"], record.get("record") or record.get("inspection") or record.get("progress")
        if kind == "project_contracted":
            shares = record.get("towns") or [{}]
            self.purchasers[record["project"]] = record["purchaser_kind"]
            self.project_towns[record["project"]] = record.get("town") or shares[0].get("town")
        elif kind == "staff_assigned":
            self.roles[record["town"], record["person_ref"]] = record["role"]
        voided = self.written_by.get(ref or "", (Level.district, None))
        owner = duties.owner(kind, record, purchaser_kind=self.purchasers.get(record.get("project", ""), "district_bureau"),
                             staff_role=self.roles.get((record.get("town", ""), record.get("person_ref", ""))),
                             voided_owner=voided[0])
        town = record.get("town") or self.project_towns.get(record.get("project", "")) or voided[1]
        self.written_by[record["id"]] = (owner, town)
        if owner > Level.town or town is None:
            return max(owner, Level.district), None
        return owner, town


def _needs(record: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for name in _REFERENCES:
        if record.get(name):
            yield "record", record[name]
    for name in _PROJECTS:
        if record.get(name):
            yield "project", record[name]
    if record.get("town"):
        yield "station", record["town"]


def _provides(record: dict[str, Any]) -> Iterator[tuple[str, str]]:
    yield "record", record["id"]
    if record["type"] == "project_contracted":
        yield "project", record["project"]
    if record["type"] == "station_established":
        yield "station", record["town"]
