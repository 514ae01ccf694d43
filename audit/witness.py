"""Every checkpoint witnessed outside its district's tables (issue 27): a line in an append-only
file of the witness directory (`STATIONS_WITNESS_DIR`, to be shipped elsewhere), and an event in
the city's store. `verify` compares the district's checkpoints with both: one deleted or signed
again shows, even by someone who may rewrite the district's tables.

A witness directory holds one directory per database (its `audit.installation` id, pinned outside
the database: `stations.installation`), one file per district in it, one JSON line per checkpoint:
`Checkpoint.as_json()`. A checkpoint is witnessed in the city's store first and in the file last,
so a line in the file says both were done; a checkpoint saved and not witnessed (its signer stopped
in between) has no line, and the signer's sweep (`audit.signer.witness_unwitnessed`) witnesses it.
"""

import asyncio
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from tenants.stores import CITY, events_table

IN_FILE = ("见证目录", "the witness directory")
IN_CITY = ("市级事件库", "the city's store")
WITNESS_TOPIC = "domain.witness:CheckpointWitness.Witnessed"

# Keeps a checkpoint (as JSON) of a district in the city's store: the composition root's, through the
# city's ledger (the recorder is the only writer of events).
CityWitness = Callable[[str, dict], None]


async def installation(conn: asyncpg.Connection) -> str:
    return str(await conn.fetchval("SELECT id FROM audit.installation"))


def witness_file(directory: Path, installation_id: str, district: str) -> Path:
    return directory / installation_id / f"{district}.jsonl"


@dataclass(frozen=True)
class Witness:
    directory: Path
    installation: str
    city: CityWitness

    async def checkpoint_made(self, district: str, checkpoint: dict) -> None:
        await asyncio.to_thread(self.city, district, checkpoint)  # once: the city's ledger keeps one per checkpoint
        await asyncio.to_thread(self._append, district, checkpoint)

    async def sizes_in_file(self, district: str) -> set[int]:
        """The tree sizes of the district's checkpoints that have their line in the file."""
        return await asyncio.to_thread(
            lambda: {c["tree_size"] for c in from_file(self.directory, self.installation, district)})

    def _append(self, district: str, checkpoint: dict) -> None:
        path = witness_file(self.directory, self.installation, district)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(checkpoint, sort_keys=True) + "\n").encode()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)  # appended to, never rewritten
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)


def from_file(directory: Path, installation_id: str, district: str) -> Iterator[dict]:
    """The district's checkpoints as the witness file holds them (none if it has no file)."""
    try:
        with open(witness_file(directory, installation_id, district), encoding="utf-8") as file:
            for line in file:
                if line.strip():
                    yield json.loads(line)
    except FileNotFoundError:
        return


async def from_city(conn: asyncpg.Connection, district: str) -> list[dict]:
    """The district's checkpoints as the city's store witnessed them (`conn` on the city's server)."""
    rows = await conn.fetch(
        f"SELECT convert_from(state, 'UTF8')::jsonb -> 'checkpoint' AS checkpoint"
        f' FROM {events_table(CITY)} WHERE topic = $1'
        f" AND convert_from(state, 'UTF8')::jsonb ->> 'district' = $2 ORDER BY notification_id",
        WITNESS_TOPIC, district)
    return [json.loads(r["checkpoint"]) for r in rows]


async def witnesses(city_conn: asyncpg.Connection, directory: Path, installation_id: str,
                    district: str) -> list[tuple[tuple[str, str], dict]]:
    """Every witness of the district's checkpoints: the city's store's (`city_conn` on the city's
    server) and the witness directory's, in the pinned installation's directory."""
    found = [(IN_CITY, c) for c in await from_city(city_conn, district)]
    return found + [(IN_FILE, c) for c in from_file(directory, installation_id, district)]
