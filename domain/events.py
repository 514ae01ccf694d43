"""What every recorded event carries, and the bookkeeping all record-holding aggregates share.

One record is one event. The event carries the record's id and who recorded it; its
`timestamp` is the server's recorded-at time. Business dates (`occurred_on`...) are in the
event's own fields, in China Standard Time.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import RuleViolation
from kernel.overrides import QuickCreate, created_state, triggered_state

STREAM_NAMESPACE = uuid5(NAMESPACE_URL, "urn:stations:stream")
_NAMESPACE_BYTES = STREAM_NAMESPACE.bytes


@lru_cache(maxsize=16384)  # the same stations and projects, named by every record of a batch
def stream_id(district: str, kind: str, key: str) -> UUID:
    """The stable id of an aggregate, derived from what names it, so it can be found again."""
    return uuid5(STREAM_NAMESPACE, f"{district}/{kind}/{key}")


def record_stream(district: str, record_id: str) -> UUID:
    """`stream_id(district, "record", record_id)`, the stream a record founds, without the
    cache: each record is named once, and would only push the stations and projects out of it.
    RFC 4122's name-based UUID made as `uuid5` makes it, with less work."""
    digest = hashlib.sha1(_NAMESPACE_BYTES + f"{district}/record/{record_id}".encode(), usedforsecurity=False)
    return UUID(bytes=digest.digest()[:16], version=5)


@dataclass(slots=True)  # not frozen: a batch makes a thousand, and `written_on_behalf_of` adds to its state
class PlainEvent:
    """A record's event held as what the library's mapper stores of it (its topic and state,
    `kernel.overrides.created_state`, `triggered_state`): the same bytes, without an event object
    made by its constructor (a service's founding event: none at all)."""

    originator_id: UUID
    topic: str
    state: dict[str, Any]
    record_type: str
    originator_version: int = 1
    fact: "RecordEvent | None" = None  # the event its aggregate keeps of it, when the aggregate is kept (a spending's)

    @classmethod
    def triggered(cls, aggregate: "RecordKeeping", event_class: type["RecordEvent"],
                  kwargs: dict[str, Any]) -> "PlainEvent | None":
        """What `aggregate.trigger_event(event_class, **kwargs)` would store, its event applied to the
        aggregate (`kernel.overrides.triggered_state`); None when only the event's constructor can
        say (the caller triggers it then)."""
        made = triggered_state(aggregate, event_class, kwargs)
        if made is None:
            return None
        topic, state, event = made
        return cls(aggregate.id, topic, state, event_class.record_type, aggregate.version, event)

    @property
    def record_id(self) -> str:
        return self.state["record_id"]

    def written_on_behalf_of(self, owner: str) -> None:
        """As `RecordEvent.written_on_behalf_of`: the owner, last in the state (and in the fact kept)."""
        self.state["on_behalf_of"] = owner
        if self.fact is not None:
            self.fact.written_on_behalf_of(owner)


class PlainRecord:
    """Where a decision's changes hold the aggregate a plain record founds: its stream and its
    one new event, the aggregate never made (its events are read back as any other's)."""

    __slots__ = ("id", "pending_events")
    version = 1

    def __init__(self, event: PlainEvent):
        self.id = event.originator_id
        self.pending_events = [event]

    @classmethod
    def found(cls, aggregate_class: type["RecordKeeping"], event_class: type[Aggregate.Created], stream: UUID,
              kwargs: dict[str, Any]) -> "PlainRecord | None":
        """What `aggregate_class._create(event_class, id=stream, **kwargs)` would store; None when
        only making the event can say (the caller makes it then)."""
        made = created_state(aggregate_class, event_class, kwargs)
        if made is None:
            return None
        topic, state = made
        return cls(PlainEvent(stream, topic, state, event_class.record_type))  # type: ignore[attr-defined]

    def collect_events(self) -> list[PlainEvent]:
        events, self.pending_events = self.pending_events, []
        return events


@dataclass(frozen=True)
class Provenance:
    """Who recorded a batch, through which request, and when the server recorded it."""

    actor: str
    actor_role: str
    request_id: str
    recorded_at: datetime

    def event_kwargs(self, record_id: str) -> dict[str, Any]:
        return {"record_id": record_id, "actor": self.actor, "actor_role": self.actor_role,
                "request_id": self.request_id, "timestamp": self.recorded_at}


class RecordEvent(Aggregate.Event):
    """An event that records one record of the API."""

    record_type: ClassVar[str]
    record_id: str
    actor: str
    actor_role: str
    request_id: str
    # The owner's level when a level above it wrote the record (duties.py). Not a field: set in the
    # event's state only then, so every other event keeps its stored bytes and its hash.
    on_behalf_of: ClassVar[str | None] = None

    def apply(self, aggregate: "RecordKeeping") -> None:
        aggregate.active[self.record_id] = self

    def written_on_behalf_of(self, owner: str) -> None:
        """Say, in the event's stored state, that it records the duty of `owner`, not the writer's."""
        object.__setattr__(self, "on_behalf_of", owner)  # a frozen dataclass, just made, not yet stored

    def payload(self) -> dict[str, Any]:
        """The record's own fields, as sent (without the id, type and provenance)."""
        skip = _EVENT_FIELDS | {"originator_topic"}
        return {k: v for k, v in vars(self).items() if k not in skip}


_EVENT_FIELDS = {"originator_id", "originator_version", "timestamp", "record_id", "actor",
                 "actor_role", "request_id", "on_behalf_of"}


class FoundingEvent(RecordEvent):
    """The record an aggregate stands on: voiding it leaves the aggregate void."""

    def apply(self, aggregate: "RecordKeeping") -> None:
        super().apply(aggregate)
        aggregate.founded_by = self.record_id


class RecordKeeping(QuickCreate, Aggregate):
    """An aggregate whose events are records that can each be voided once (made the library's way,
    faster: `kernel.overrides.QuickCreate`).

    Subclasses set `town` (the town it belongs to), `active` (its records not voided, by
    record id) and `founded_by` (the founding record's id, None once voided) in their
    `__init__`; they are not annotated here because the library would take annotations
    for constructor arguments.
    """

    # Said when the founding record is voided while other records still stand on it.
    DEPENDENTS_FIRST = ("须先作废依附于它的其他记录", "void the records that depend on it first")

    class RecordVoided(RecordEvent):
        record_type = "record_voided"
        record: str
        reason: str

        def apply(self, aggregate: "RecordKeeping") -> None:
            voided = aggregate.active.pop(self.record)
            aggregate.on_voided(voided)

    def on_voided(self, event: RecordEvent) -> None:
        """Undo what a voided record meant for the aggregate's state."""
        if event.record_id == self.founded_by:
            self.founded_by = None

    def check_can_void(self, record_id: str) -> None:
        if record_id not in self.active:
            raise RuleViolation("record", "该记录已作废", "the record has already been voided")
        if record_id == self.founded_by and len(self.active) > 1:
            raise RuleViolation("record", *self.DEPENDENTS_FIRST)

    def void(self, record_id: str, reason: str, void_record_id: str, provenance: Provenance) -> None:
        self.check_can_void(record_id)
        self.trigger_event(self.RecordVoided, record=record_id, reason=reason,
                           **provenance.event_kwargs(void_record_id))

    def _record(self, event_class: type[RecordEvent], record_id: str, provenance: Provenance,
                **fields: Any) -> None:
        self.trigger_event(event_class, **fields, **provenance.event_kwargs(record_id))
