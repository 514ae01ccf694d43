"""A spreadsheet of records, uploaded: every row checked as the API checks a record, then stored
by `commands.record_batch` in batches of up to a thousand, with the caller's duties and scope.

A bad row stores nothing: the answer lists each bad cell by sheet, row and column. The rules that
need the log's state (duties, one station per town...) are the ledger's: the whole file is decided
first as one batch, storing nothing, and a refusal there is reported by sheet and row too. Only a
writer that changes the same aggregates between that check and a later batch can have a batch
refused after others were stored; the same file uploaded again then reports those as duplicates.
"""

from dataclasses import dataclass, replace
from typing import Any

from anyio import to_thread
from pydantic import ValidationError

from domain.errors import BatchRejected
from domain.records import MAX_BATCH, parse_record
from exports.columns import layout
from exports.upload_rows import CellProblem, FileRefused, Upload, read
from service import commands
from service.callers import Caller
from service.errors import Invalid
from service.runtime import Runtime


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int
    max_rows: int


class RowsInvalid(Exception):
    """Some rows are bad: nothing was stored. Each problem is a cell's (`detail`) or a pydantic
    error of the row's record (`error`, worded by the edge as it words a record's)."""

    def __init__(self, problems: list[dict[str, Any]]):
        super().__init__(f"{len(problems)} problem(s) in the uploaded rows")
        self.problems = problems


async def import_file(runtime: Runtime, caller: Caller, district: str, content: bytes, file_name: str,
                      limits: UploadLimits, request_id: str, record_type: str | None = None) -> dict[str, Any]:
    """Store the file's rows; `{"rows", "accepted", "duplicate", "refused": [], "position"}`."""
    try:
        upload = await to_thread.run_sync(read, content, file_name, limits.max_rows, record_type)
    except FileRefused as exc:
        raise Invalid(exc.zh, exc.en) from None
    records = await to_thread.run_sync(_checked, upload)
    if not records:
        raise Invalid("文件中没有记录", "the file holds no records")
    try:  # the rules that need the log's state, over the whole file: a refusal anywhere stores nothing
        await commands.check_batch(runtime, caller, district, records, request_id)
    except BatchRejected as exc:
        raise _placed(exc, upload, 0) from None
    accepted = duplicate = position = 0
    for start in range(0, len(records), MAX_BATCH):
        batch = records[start:start + MAX_BATCH]
        try:
            written = await commands.record_batch(runtime, caller, district, batch, request_id)
        except BatchRejected as exc:
            raise _placed(exc, upload, start) from None
        accepted += sum(r.status == "accepted" for r in written.results)
        duplicate += sum(r.status == "duplicate" for r in written.results)
        position = written.position
    return {"rows": len(records), "accepted": accepted, "duplicate": duplicate, "refused": [], "position": position}


def _checked(upload: Upload) -> list[Any]:
    """Every row as a record, or RowsInvalid naming every bad cell and row."""
    problems = [_cell(p) for p in upload.problems]
    unread = {(p.sheet, p.row, p.column) for p in upload.problems}  # their fields' absence is no news
    records = []
    for row in upload.rows:
        try:
            records.append(parse_record(row.record))
        except ValidationError as exc:
            headers = {c.wire: c.header for c in layout(row.sheet).columns}
            for error in exc.errors():
                loc = ".".join(str(part) for part in error["loc"][1:])  # after the record type the union chose
                column = headers.get(loc, loc)
                if (row.sheet, row.number, column) not in unread:
                    problems.append({"sheet": row.sheet, "row": row.number, "column": column, "error": error})
    if problems:
        raise RowsInvalid(problems)
    return records


def _cell(problem: CellProblem) -> dict[str, Any]:
    return {"sheet": problem.sheet, "row": problem.row, "column": problem.column, "detail": problem.zh_en}


def _placed(exc: BatchRejected, upload: Upload, start: int) -> BatchRejected:
    """The ledger's refusal of a batch, each problem at its row of the file (`where`)."""
    problems = [replace(p, index=start + p.index) for p in exc.problems]
    placed = type(exc)(problems)
    placed.where = {}  # type: ignore[attr-defined]
    for p in problems:
        row = upload.rows[p.index]
        headers = {c.wire: c.header for c in layout(row.sheet).columns}
        placed.where[p.index] = {"sheet": row.sheet, "row": row.number,  # type: ignore[attr-defined]
                                 "column": headers.get(p.field or "", p.field or "")}
    return placed
