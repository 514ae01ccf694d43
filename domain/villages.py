"""A town's villages and communities (村/社区) as the district registers them, dated as towns are.

A service names its village in free text, as it always has, or by the village's code. Once the
district has registered villages of a town valid on a service's day, the text must name one of
them (its code, its name or a registered other spelling) and the service counts under its code;
a text that names none is refused, so one village is never split over several spellings. A town
with no register on the day keeps the free text, shown in reports as unregistered.
"""

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from domain import records as r
from domain.errors import RuleViolation
from domain.events import Provenance, RecordEvent, RecordKeeping


def spelling(text: str) -> str:
    """A name as compared: full-width forms folded (NFKC) and every space removed."""
    return "".join(unicodedata.normalize("NFKC", text).split())


@dataclass(frozen=True)
class VillageVersion:
    village: str
    name: str
    kind: str
    valid_from: date
    valid_to: date | None  # its own end, or the day before its code's next version begins
    spellings: frozenset[str]

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def overlaps(self, start: date, end: date | None) -> bool:
        return (end is None or self.valid_from <= end) and (self.valid_to is None or start <= self.valid_to)


class VillageRegistry(RecordKeeping):
    """The registered versions of one town's villages: one stream per town."""

    class Registration(RecordEvent):
        record_type = "village_registered"
        town: str
        village: str
        name: str
        kind: str
        valid_from: date
        valid_to: date | None
        aliases: list

        def apply(self, registry: "VillageRegistry") -> None:
            super().apply(registry)
            registry.forget_versions()

    class FirstRegistered(Registration, RecordKeeping.Created):
        pass

    class Registered(Registration):
        pass

    def __init__(self) -> None:
        self.town = None  # the district's register of the town: no station may touch it
        self.active: dict[str, RecordEvent] = {}
        self.founded_by: str | None = None  # no record founds a register: any registration may be voided
        self._versions: list[VillageVersion] | None = None  # worked out once, then asked for each service

    def on_voided(self, event: RecordEvent) -> None:
        super().on_voided(event)
        self.forget_versions()

    def forget_versions(self) -> None:
        self._versions = None

    @classmethod
    def open(cls, stream: Any, record: r.VillageRegistered, provenance: Provenance) -> "VillageRegistry":
        return cls._create(cls.FirstRegistered, id=stream, **record.fields(), **provenance.event_kwargs(record.id))

    def versions(self) -> list[VillageVersion]:
        """Every registered version, each ended where its code's next one begins."""
        if self._versions is None:
            self._versions = self._worked_out()
        return self._versions

    def _worked_out(self) -> list[VillageVersion]:
        found = sorted((e for e in self.active.values() if isinstance(e, VillageRegistry.Registration)),
                       key=lambda e: (e.village, e.valid_from))
        versions = []
        for n, e in enumerate(found):
            following = found[n + 1] if n + 1 < len(found) and found[n + 1].village == e.village else None
            end = e.valid_to if following is None else following.valid_from - timedelta(days=1)
            versions.append(VillageVersion(e.village, e.name, e.kind, e.valid_from, end,
                                           frozenset(spelling(t) for t in (e.name, *e.aliases))))
        return versions

    def register(self, record: r.VillageRegistered, provenance: Provenance) -> None:
        self.check_registrable(record)
        self._record(self.Registered, record.id, provenance, **record.fields())

    def check_registrable(self, record: r.VillageRegistered) -> None:
        versions = self.versions()
        earlier = [v for v in versions if v.village == record.village]
        if earlier and earlier[-1].valid_from >= record.valid_from:
            raise RuleViolation("valid_from", f"村(社区) {record.village} 已有自{earlier[-1].valid_from}起的登记，"
                                "新版本须晚于该日期生效",
                                f"village {record.village} has a version from {earlier[-1].valid_from}: a new one"
                                " must begin later")
        if earlier and earlier[-1].valid_to is not None and earlier[-1].valid_to >= record.valid_from:
            raise RuleViolation("valid_from", f"与村(社区) {record.village} 已登记版本的有效期重叠",
                                f"overlaps the registered version of village {record.village}")
        names = {spelling(t) for t in (record.name, *record.aliases)}
        for version in versions:
            if version.village != record.village and version.overlaps(record.valid_from, record.valid_to) \
                    and names & version.spellings:
                raise RuleViolation("name", f"名称与同期已登记的村(社区) {version.village}（{version.name}）重复",
                                    f"the name is that of village {version.village} ({version.name}) at the same time")

    def resolve(self, text: str, day: date) -> str | None:
        """The code of the village the text names on the day; None when no village of the town is
        registered for that day (the text then stands as it is). Refuses a text naming none."""
        valid = [v for v in self.versions() if v.valid_on(day)]
        if not valid:
            return None
        named = spelling(text)
        for version in valid:
            if named == version.village or named in version.spellings:
                return version.village
        raise RuleViolation("village", f"村(社区)“{text}”未在本镇(街道)登记（{day}）",
                            f"village {text!r} is not registered in this town on {day}")
