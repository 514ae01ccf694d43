"""Importing a JSON Lines file of records through the HTTP API, in batches, resumably.

Each line is one record object as `POST /v1/districts/{district}/records` takes it, plus a
`district` member saying where it goes (or a default district for a file of one district).
Consecutive lines of one district go in one batch. After each batch the server acknowledged,
a small state file beside the input keeps the byte offset and line number reached, so a rerun
after an interruption starts after it and sends nothing twice; if an answer was lost, resending
that batch is harmless: the server answers `duplicate`. A batch the server refuses stops the
import with its problem details and the lines they name; the state keeps the last good point.
"""

import asyncio
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

STATE_SUFFIX = ".import-state.json"
RETRIES = 5  # for answers that say "try again" (503, 429...) and lost connections, backing off
_HEAD, _TAIL = 64 * 1024, 4 * 1024  # the bytes of the imported part that identify the file


class ImportStopped(Exception):
    """The import cannot go on; everything before `line` is stored and remembered."""

    def __init__(self, zh: str, en: str, details: list[str] | None = None):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en, self.details = zh, en, details or []


@dataclass
class State:
    url: str
    offset: int = 0  # bytes of the file acknowledged by the server
    line: int = 0  # the last line acknowledged
    fingerprint: str = ""  # of the acknowledged bytes, so an edited file is not resumed by mistake
    accepted: int = 0
    duplicates: int = 0

    @classmethod
    def load(cls, path: Path, url: str) -> "State":
        if not path.exists():
            return cls(url)
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    def save(self, path: Path) -> None:
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")
        os.replace(temporary, path)  # atomic: a kill leaves the old state or the new, never half


@dataclass
class Batch:
    district: str
    records: list[dict]
    lines: list[int]
    end_offset: int
    end_line: int


@dataclass
class Summary:
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    batches: int = 0
    state: State | None = None
    stopped_by_limit: bool = False
    messages: list[str] = field(default_factory=list)


def state_path(file: Path) -> Path:
    return file.with_name(file.name + STATE_SUFFIX)


def fingerprint(file: Path, offset: int) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as f:
        digest.update(f.read(min(offset, _HEAD)))
        f.seek(max(0, offset - _TAIL))
        digest.update(f.read(offset - max(0, offset - _TAIL)))
    return digest.hexdigest()


def count_lines(file: Path, offset: int) -> int:
    """Lines from `offset` on (the last one may lack its newline)."""
    count, last = 0, b"\n"
    with file.open("rb") as f:
        f.seek(offset)
        while chunk := f.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def batches(file: Path, offset: int, line: int, size: int, district: str | None) -> Iterator[Batch]:
    """The file's batches from `offset` on: consecutive lines of one district, at most `size`."""
    batch: Batch | None = None
    with file.open("rb") as f:
        f.seek(offset)
        for raw in f:
            line += 1
            offset += len(raw)
            if not raw.strip():
                if batch is not None:
                    batch.end_offset, batch.end_line = offset, line
                continue
            record, target = _parse(raw, line, district)
            if batch is not None and (batch.district != target or len(batch.records) == size):
                yield batch
                batch = None
            if batch is None:
                batch = Batch(target, [], [], offset, line)
            batch.records.append(record)
            batch.lines.append(line)
            batch.end_offset, batch.end_line = offset, line
    if batch is not None:
        yield batch


def _parse(raw: bytes, line: int, district: str | None) -> tuple[dict, str]:
    try:
        record = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportStopped(f"第 {line} 行不是有效的 JSON", f"line {line} is not valid JSON: {exc}") from exc
    if not isinstance(record, dict):
        raise ImportStopped(f"第 {line} 行不是一个记录对象", f"line {line} is not a record object")
    target = record.pop("district", None) or district
    if not isinstance(target, str):
        raise ImportStopped(f"第 {line} 行未指明区（district），也未给出 --district",
                            f"line {line} names no district, and no --district was given")
    return record, target


async def import_file(client: httpx.AsyncClient, file: Path, *, token_for: Callable[[str], str],
                      district: str | None = None, batch_size: int = 1000, limit: int | None = None,
                      state_file: Path | None = None, restart: bool = False,
                      retries: int = RETRIES, advance: Callable[[int], None] = lambda _: None,
                      only_district: str | None = None) -> Summary:
    """Send the file's records not yet acknowledged; stop after `limit` records if given, and before
    a line of a district other than `only_district` (the one a scoped token writes into) if given."""
    path = state_file or state_path(file)
    url = str(client.base_url)
    state = State(url) if restart else State.load(path, url)
    if state.url != url:
        raise ImportStopped(f"状态文件 {path} 属于另一个服务 {state.url}，如需重新导入请加 --restart",
                            f"the state file {path} is for another service ({state.url}); use --restart to start over")
    if state.offset and fingerprint(file, state.offset) != state.fingerprint:
        raise ImportStopped("文件已导入的部分被改动，不能续传；如需重新导入请加 --restart",
                            f"the part of {file} already imported has changed; use --restart to start over")
    summary = Summary(state=state)
    for batch in batches(file, state.offset, state.line, batch_size, district):
        if only_district is not None and batch.district != only_district:
            raise ImportStopped(f"第 {batch.lines[0]} 行属于区 {batch.district}，而令牌只能写入区 {only_district}；之前的批次已保存",
                                f"line {batch.lines[0]} is of district {batch.district}, but the token writes into"
                                f" district {only_district} only; the batches before it are stored")
        if limit is not None and summary.sent + len(batch.records) > limit:
            summary.stopped_by_limit = True
            break
        answer = await _send(client, batch, token_for, retries)
        results = answer["results"]
        accepted = sum(r["status"] == "accepted" for r in results)
        state.offset, state.line = batch.end_offset, batch.end_line
        state.fingerprint = fingerprint(file, state.offset)
        state.accepted += accepted
        state.duplicates += len(results) - accepted
        state.save(path)
        summary.sent += len(batch.records)
        summary.accepted += accepted
        summary.duplicates += len(results) - accepted
        summary.batches += 1
        advance(len(batch.records))
    return summary


async def _send(client: httpx.AsyncClient, batch: Batch, token_for: Callable[[str], str], retries: int) -> dict:
    response = await _posted(client, f"/v1/districts/{batch.district}/records", token_for(batch.district), retries,
                             json={"records": batch.records})
    if response.status_code == 200:
        return response.json()
    raise _refused(response, batch)


async def _posted(client: httpx.AsyncClient, where: str, token: str, retries: int, **content: Any) -> httpx.Response:
    """The service's answer, asked again (backing off) while it says "try again" or cannot be reached."""
    for attempt in range(retries + 1):
        try:
            response = await client.post(where, headers={"Authorization": f"Bearer {token}"}, **content)
        except httpx.TransportError as exc:
            if attempt == retries:
                raise ImportStopped("无法连接服务", f"cannot reach the service: {exc}") from exc
            await asyncio.sleep(min(2 ** attempt, 30))
            continue
        if response.status_code in (429, 502, 503, 504) and attempt < retries:
            await asyncio.sleep(min(float(response.headers.get("Retry-After", 2 ** attempt)), 30))
            continue
        return response
    raise AssertionError("unreachable")


def _problem(response: httpx.Response) -> dict:
    try:
        return response.json()
    except ValueError:
        return {"title": response.reason_phrase, "detail": response.text[:500]}


SPREADSHEETS = (".xlsx", ".csv")


async def upload_spreadsheet(client: httpx.AsyncClient, file: Path, district: str, token: str,
                             retries: int = RETRIES) -> Summary:
    """Send an .xlsx or .csv file to `POST .../imports` whole: the service checks every row
    first and stores all or none; its rows' ids are its own, so sending it again after an
    interruption stores nothing twice and reports the rows already stored as duplicates."""
    media = "text/csv" if file.suffix.lower() == ".csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = await _posted(client, f"/v1/districts/{district}/imports", token, retries,
                             files={"file": (file.name, file.read_bytes(), media)})
    if response.status_code != 200:
        problem = _problem(response)
        details = [f"{problem.get('title', '')}: {problem.get('detail', '')}"]
        for error in problem.get("errors") or []:
            where = f"工作表 {error.get('sheet')} 第 {error.get('row')} 行 / sheet {error.get('sheet')} row {error.get('row')}"
            column = f" {error['column']}" if error.get("column") else ""
            owner = f"（{error['owner']} 的职责 / owner: {error['owner']}）" if error.get("owner") else ""
            details.append(f"{where}{column}: {error.get('detail', '')}{owner}")
        raise ImportStopped(f"服务拒收文件 {file.name}（HTTP {response.status_code}）",
                            f"the service refused {file.name} (HTTP {response.status_code})", details)
    answer = response.json()
    return Summary(sent=answer["rows"], accepted=answer["accepted"], duplicates=answer["duplicate"], batches=1)


def _refused(response: httpx.Response, batch: Batch) -> ImportStopped:
    """The server's problem details, each error pointed at its line of the file."""
    problem = _problem(response)
    first, last = batch.lines[0], batch.lines[-1]
    details = [f"{problem.get('title', '')}: {problem.get('detail', '')}"]
    for error in problem.get("errors") or []:
        index = error.get("record")
        where = f"第 {batch.lines[index]} 行 / line {batch.lines[index]}" if isinstance(index, int) \
            and 0 <= index < len(batch.lines) else f"第 {first}-{last} 行 / lines {first}-{last}"
        field_name = f" {error['field']}" if error.get("field") else ""
        owner = f"（{error['owner']} 的职责 / owner: {error['owner']}）" if error.get("owner") else ""
        details.append(f"{where}{field_name}: {error.get('detail', '')}{owner}")
    return ImportStopped(f"服务拒收第 {first}-{last} 行的批次（HTTP {response.status_code}），之前的批次已保存",
                         f"the service refused the batch of lines {first}-{last} (HTTP {response.status_code});"
                         " the batches before it are stored", details)
