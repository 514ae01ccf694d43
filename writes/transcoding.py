"""How an event's state is written as bytes and read back: the library's JSON format, by orjson.

The library's `JSONTranscoder` writes compact JSON with every value of a registered type
(UUID, Decimal, datetime, date) as `{"_type_": name, "_data_": text}`, through the standard
library's pure-Python encoder. `OrjsonTranscoder` writes and reads the very same bytes and
values (tests/unit/test_transcoding.py compares them on every demo event), about five times
faster: orjson does the JSON, and only the values orjson would write differently from the
library are handed to the registered transcodings.
"""

from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import JSONTranscoder

from kernel.overrides import DatetimeEncodedOnce

# orjson writes datetimes and dates itself unless told to pass them to `default` (as it does
# Decimals); UUIDs it always writes itself, so they are tagged before it sees them.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME
_CONTAINERS = frozenset((UUID, dict, list, tuple))


class OrjsonTranscoder(DatetimeEncodedOnce, JSONTranscoder):
    def __init__(self, registered: JSONTranscoder):
        super().__init__()
        self.types, self.names = registered.types, registered.names
        self._revivers = {name: transcoding.decode for name, transcoding in registered.names.items()}

    def encode(self, obj: Any) -> bytes:
        return right_sized(orjson.dumps(_tag_uuids(obj, self._encode_obj), default=self._encode_obj, option=_OPTIONS))

    def decode(self, data: bytes) -> Any:
        state = orjson.loads(data)
        if type(state) in (dict, list):
            self._revive(state)
        return state

    def _revive(self, container: dict | list) -> None:
        """Replace, in place, the typed objects inside `container` by their values."""
        for k, v in container.items() if type(container) is dict else enumerate(container):
            if type(v) is dict:
                if len(v) == 2 and "_type_" in v and "_data_" in v:
                    container[k] = self._revivers[v["_type_"]](v["_data_"])
                else:
                    self._revive(v)
            elif type(v) is list:
                self._revive(v)


def right_sized(data: bytes) -> bytes:
    """A copy of orjson's output that holds only its length: orjson (3.12 on) writes into a
    buffer of at least 4 KiB that it never trims, and a batch keeps a thousand states."""
    return bytes(memoryview(data))


def _tag_uuids(value: Any, tag: Any) -> Any:
    """`value` with every UUID inside it replaced by its typed object (a copy only where one is)."""
    kind = type(value)
    if kind is UUID:
        return tag(value)
    if kind is dict:
        if _CONTAINERS.isdisjoint(map(type, value.values())):  # looked at in C, not value by value
            return value
        return {k: _tag_uuids(v, tag) for k, v in value.items()}
    if kind in (list, tuple):
        return [_tag_uuids(v, tag) for v in value]
    return value

