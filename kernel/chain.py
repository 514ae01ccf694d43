"""The hash chain over a district's events, and the canonical encoding it hashes.

docs/audit.md defines both precisely, so that anyone can recompute them from the stored rows.
"""

import hashlib
from uuid import UUID

from kernel.merkle import leaf_hash

GENESIS = bytes(32)  # the chain value before a district's first event


def canonical(position: int, stream: UUID, version: int, topic: str, state: bytes) -> bytes:
    """The bytes an event's hash covers: its stored row, in a fixed order.

    `state` is the event as the store keeps it (JSON: recorded-at time, record id, actor,
    request id and the record's fields), so the hash covers all of it.
    """
    return f"stations-event-v1\n{position}\n{stream}\n{version}\n{topic}\n".encode() + state


def leaf(position: int, stream: UUID, version: int, topic: str, state: bytes) -> bytes:
    """The event's Merkle leaf hash (RFC 6962: SHA-256 of 0x00 and the data)."""
    return leaf_hash(canonical(position, stream, version, topic, state))


def link(previous: bytes, leaf_hash: bytes) -> bytes:
    """The chain value after an event: SHA-256 of the previous chain value and its leaf hash."""
    return hashlib.sha256(previous + leaf_hash).digest()
