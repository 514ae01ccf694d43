"""Every override of an eventsourcing internal, in one place, for the one version of the library
it was written for.

Each makes exactly what the library's own code makes (the same event and aggregate, the same
bytes, the same tables) where that code was too slow or unsafe for us; tests/test_overrides.py
compares each with the library's. A release may change any internal it stands in for, so
importing this with another version of the library fails at once: compare each override with
the new version's code, run those tests, then move `WRITTEN_FOR` (and the pin in pyproject.toml).
"""

import importlib.metadata
from dataclasses import fields
from datetime import datetime
from functools import cache
from inspect import signature
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

WRITTEN_FOR = "9.5.6"


def check_version(installed: str) -> None:
    if installed != WRITTEN_FOR:
        raise ImportError(f"kernel/overrides.py overrides internals of eventsourcing {WRITTEN_FOR}, not of the"
                          f" {installed} installed: check each against that version, then move WRITTEN_FOR")


check_version(importlib.metadata.version("eventsourcing"))


class QuickCreate:
    """For our aggregates (before `Aggregate` in the bases): `Aggregate._create` without its
    generic steps (an id from `create_id`, `__init__`'s arguments picked from copies of the event's
    fields, twice over, and a frozen dataclass's `__setattr__` an event field): much of deciding a
    batch of services. Takes the `id` always given, and calls `__base_init__`."""

    @classmethod
    def _create(cls, event_class: type[Aggregate.Created], *, id: UUID, **kwargs: Any) -> Any:  # noqa: A002
        if kwargs.get("timestamp") is None:
            kwargs["timestamp"] = event_class.create_timestamp()
        kwargs.update(originator_topic=get_topic(cls), originator_id=id,
                      originator_version=cls.INITIAL_VERSION)  # type: ignore[attr-defined]
        event = _new_event(event_class, kwargs)
        aggregate = cls.__new__(cls)
        aggregate.__base_init__(id, cls.INITIAL_VERSION, event.timestamp)  # type: ignore[attr-defined]
        state = vars(event)
        aggregate.__init__(**{name: state[name] for name in _init_parameters(cls) if name in state})  # type: ignore[misc]
        event.apply(aggregate)
        aggregate.pending_events.append(event)  # type: ignore[attr-defined]
        return aggregate


def _new_event(event_class: type[Aggregate.Created], state: dict[str, Any]) -> Any:
    """The event the class's constructor makes from `state`, its fields set in the constructor's
    order (the order they are stored in), without the frozen dataclass's `__setattr__` a field.
    Any state the constructor would refuse, it refuses."""
    names, named = _field_names(event_class)
    if state.keys() != named or not isinstance(state["originator_id"], UUID):
        return event_class(**state)
    event = object.__new__(event_class)
    vars(event).update({name: state[name] for name in names})
    return event


@cache
def _field_names(event_class: type) -> tuple[tuple[str, ...], frozenset[str]]:
    names = tuple(f.name for f in fields(event_class))
    return names, frozenset(names)


def created_state(aggregate_class: type, event_class: type[Aggregate.Created],
                  kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The topic and the state that `Mapper.to_stored_event` stores of the event
    `QuickCreate._create(event_class, id=..., **kwargs)` makes (its id and version apart), without
    making the event or its aggregate; None where `_create` would call the event's constructor
    (a field missing or unknown, no timestamp), which the caller then does."""
    names, given, topic, class_version = _created_shape(aggregate_class, event_class)
    if kwargs.get("timestamp") is None or kwargs.keys() != given:
        return None
    state = {name: topic if name == "originator_topic" else kwargs[name] for name in names}
    if class_version > 1:
        state["class_version"] = class_version
    return get_topic(event_class), state


@cache
def _created_shape(aggregate_class: type, event_class: type) -> tuple[tuple[str, ...], frozenset[str], str, int]:
    """The event's stored fields in the order stored (`vars` of the event `_new_event` makes, less
    the id and version the mapper takes out), those the caller gives, the aggregate's topic (which
    `_create` gives) and the event's class version."""
    names = tuple(name for name in _field_names(event_class)[0] if name not in ("originator_id", "originator_version"))
    return names, frozenset(names) - {"originator_topic"}, get_topic(aggregate_class), \
        getattr(event_class, "class_version", 1)


def triggered_state(aggregate: Any, event_class: type[Aggregate.Event],
                    kwargs: dict[str, Any]) -> tuple[str, dict[str, Any], Any] | None:
    """The topic and the state that `Mapper.to_stored_event` stores of the event
    `aggregate.trigger_event(event_class, **kwargs)` makes, and that event, applied to the aggregate
    as `mutate` applies it (its version and modified time moved on), without the constructor's
    frozen `__setattr__` a field or `mutate`'s checks of an id and version it sets itself; None where
    `trigger_event` would call the constructor (a field missing or unknown, no timestamp)."""
    names, given, class_version = _triggered_shape(event_class)
    if kwargs.get("timestamp") is None or kwargs.keys() != given:
        return None
    state = {name: kwargs[name] for name in names}
    version = aggregate.version + 1
    event = object.__new__(event_class)
    vars(event).update(originator_id=aggregate.id, originator_version=version, **state)  # the fields' order
    event.apply(aggregate)
    aggregate.version = version
    aggregate.modified_on = event.timestamp
    if class_version > 1:
        state["class_version"] = class_version
    return get_topic(event_class), state, event


@cache
def _triggered_shape(event_class: type) -> tuple[tuple[str, ...], frozenset[str], int]:
    """The event's stored fields in the constructor's order (all but the id and version, its first
    two), those the caller gives, its class version."""
    names = _field_names(event_class)[0]
    if names[:2] != ("originator_id", "originator_version"):
        raise TypeError(f"{event_class.__qualname__}: an event's id and version are its first fields")
    return names[2:], frozenset(names[2:]), getattr(event_class, "class_version", 1)


def stored_event(mapper: Mapper, originator_id: UUID, originator_version: int, topic: str,
                 state: dict[str, Any]) -> StoredEvent:
    """`Mapper.to_stored_event` of an event given as its topic and state (`created_state`)."""
    stored_state = mapper.transcoder.encode(state)
    if mapper.compressor:
        stored_state = mapper.compressor.compress(stored_state)
    if mapper.cipher:
        stored_state = mapper.cipher.encrypt(stored_state)
    return StoredEvent(originator_id=originator_id, originator_version=originator_version, topic=topic,
                       state=stored_state)


@cache
def _init_parameters(kind: type) -> tuple[str, ...]:
    return tuple(name for name in signature(kind.__init__).parameters if name != "self")


class DatetimeEncodedOnce:
    """For a `JSONTranscoder` (before it in the bases): `_encode_obj` writing the datetime it was
    last given again without encoding it again. Every event of a batch carries the same
    recorded-at time."""

    _last_datetime: tuple[Any, dict[str, Any]] = (None, {})

    def _encode_obj(self, o: Any) -> dict[str, Any]:
        last = self._last_datetime  # one read: another thread may set it meanwhile
        if o is last[0]:
            return last[1]
        encoded = super()._encode_obj(o)  # type: ignore[misc]
        if type(o) is datetime:
            self._last_datetime = (o, encoded)
        return encoded


class TableCreatedAlone:
    """For a `PostgresApplicationRecorder` (before it in the bases): `_create_table` under an
    advisory lock. Processes starting together (the API's workers, the projection worker) would
    race to create the same new store, and CREATE ... IF NOT EXISTS is not safe against that race."""

    def _create_table(self, curs: Any) -> None:
        curs.execute("SELECT pg_advisory_xact_lock(hashtext('stations: create an event store'))")
        super()._create_table(curs)  # type: ignore[misc]
