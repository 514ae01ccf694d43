"""An uploaded spreadsheet read back into records' fields: an .xlsx workbook (a sheet per record
type, named as the template names it) or a CSV of one record type, in UTF-8 or GB18030.

Cells are read as written, never evaluated: a formula cell is refused, a text cell starting
with `=` is text. Money and other decimals are taken from the cell's text, or from a number
cell's shortest repr, and refused beyond 2 places: never rounded through a float.
"""

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from exports.columns import RECORD_NAMES, Column, importable_types, layout
from exports.templates import SKIPPED

_SLASHED_DATE = re.compile(r"^([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?$")
_SEPARATORS = re.compile(r"[、,，;；\s]+")
_YES, _NO = frozenset({"是", "true", "yes", "y", "1", "√"}), frozenset({"否", "false", "no", "n", "0", "×"})


class FileRefused(Exception):
    """The file as a whole cannot be read (not a spreadsheet, too many rows...)."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class CellProblem:
    sheet: str
    row: int
    column: str  # its Chinese header ('' for the whole row)
    zh_en: str


@dataclass
class Row:
    sheet: str
    number: int  # as the spreadsheet numbers it
    record: dict[str, Any]  # the fields, as a record's JSON has them


@dataclass
class Upload:
    digest: str  # of the file's bytes: a blank 记录编号 is made from it
    rows: list[Row] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)


def read(content: bytes, file_name: str, max_rows: int, record_type: str | None = None) -> Upload:
    """The file's rows as records' fields, and every cell that cannot be one."""
    upload = Upload(hashlib.sha256(content).hexdigest())
    if content.startswith(b"PK\x03\x04"):
        sheets = _workbook_sheets(content, record_type)
    else:
        kind = record_type or _record_type_of(file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0])
        sheets = iter([(kind, _csv_rows(content))])
    for name, rows in sheets:
        _read_sheet(upload, name, rows, max_rows)
    return upload


def _workbook_sheets(content: bytes, record_type: str | None) -> Iterator[tuple[str, Iterator[tuple[Any, ...]]]]:
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRefused("文件不是可读取的 Excel 工作簿", f"the file is not a readable Excel workbook: {exc}") from None
    sheets = [ws for ws in book.worksheets if ws.title not in SKIPPED]
    for ws in sheets:
        # One sheet may be named anything when the upload says its type.
        name = record_type if record_type and len(sheets) == 1 else _record_type_of(ws.title)
        yield name, ((cell if cell.data_type == "f" else cell.value for cell in line) for line in ws.iter_rows())


def _record_type_of(title: str) -> str:
    named = {zh: wire for wire, zh in RECORD_NAMES.items()}
    return named.get(title.strip(), title.strip())


def _csv_rows(content: bytes) -> Iterator[tuple[Any, ...]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return (tuple(line) for line in csv.reader(io.StringIO(text, newline="")))
    raise FileRefused("文件不是 Excel 工作簿，也不是 UTF-8 或 GB18030 编码的 CSV",
                      "the file is neither an Excel workbook nor a CSV in UTF-8 or GB18030")


def _read_sheet(upload: Upload, sheet: str, lines: Iterator[tuple[Any, ...]], max_rows: int) -> None:
    if sheet not in importable_types():
        upload.problems.append(CellProblem(sheet, 1, "", f"工作表名须为记录类型（如 service_delivered）/ the sheet must"
                                                         f" be named by a record type (e.g. service_delivered): {sheet}"))
        return
    shape = layout(sheet)
    header = next(lines, ())
    columns = _columns(upload, sheet, header, shape.columns)
    if columns is None:
        return
    for number, line in enumerate(lines, start=2):
        cells = [None if isinstance(v, str) and not v.strip() else v for v in line]
        if all(v is None for v in cells):
            continue
        if number == 2 and all(v is None or str(v).strip() in {c.wire for c in shape.columns} for v in cells):
            continue  # the wire names beneath the headers
        if len(upload.rows) >= max_rows:
            raise FileRefused(f"文件超过 {max_rows} 行，请分成多个文件上传",
                              f"the file has more than {max_rows} rows: upload it in parts")
        record = {"type": sheet}
        for value, column in zip(cells, columns, strict=False):
            if column is None or value is None:
                continue
            try:
                _put(record, column.path, _value(value, column))
            except ValueError as exc:
                upload.problems.append(CellProblem(sheet, number, column.header, str(exc)))
        if "id" not in record:
            record["id"] = f"up-{upload.digest[:24]}-{sheet}-{number}"
        upload.rows.append(Row(sheet, number, record))


def _columns(upload: Upload, sheet: str, header: tuple[Any, ...], known: tuple[Column, ...]
             ) -> list[Column | None] | None:
    """Each header's column (None for a blank one); None, with the problems, if any is unknown."""
    by_name = {c.header: c for c in known} | {c.wire: c for c in known}
    texts = [str(h).strip() if h is not None else "" for h in header]
    unknown = [t for t in texts if t and t not in by_name]
    if unknown:
        upload.problems.append(CellProblem(sheet, 1, "、".join(unknown), f"未知的列：{'、'.join(unknown)}"
                                                                       f" / unknown columns: {', '.join(unknown)}"))
        return None
    columns = [by_name[t] if t else None for t in texts]
    named = [c.wire for c in columns if c is not None]
    if twice := sorted({w for w in named if named.count(w) > 1}):
        upload.problems.append(CellProblem(sheet, 1, "、".join(twice), f"列重复 / columns given twice: {', '.join(twice)}"))
        return None
    return columns


def _put(record: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for name in path[:-1]:
        record = record.setdefault(name, {})
    record[path[-1]] = value


def _value(cell: Any, column: Column) -> Any:
    """A cell as the record's JSON writes the field; ValueError (Chinese / English) if it cannot be."""
    if hasattr(cell, "data_type"):  # openpyxl's cell, kept only for a formula
        raise ValueError(f"不接受公式单元格（{cell.value}），请粘贴为数值 / a formula cell ({cell.value}) is refused:"
                         " paste its value instead")
    if isinstance(cell, str):
        cell = cell.strip()
    kind = column.kind
    if kind == "code":
        return _code(str(cell), column)
    if kind == "codes":
        return [_code(part, column) for part in _SEPARATORS.split(str(cell)) if part]
    if kind == "date":
        return _date(cell)
    if kind == "decimal":
        return _decimal(cell)
    if kind == "int" and isinstance(cell, float) and cell.is_integer():
        return int(cell)
    if kind == "int" and isinstance(cell, str) and cell.isascii() and cell.isdigit():
        return int(cell)
    if kind == "bool" and isinstance(cell, str) and cell.lower() in _YES | _NO:
        return cell.lower() in _YES
    if kind == "text":
        return _text(cell)
    return cell


def _code(text: str, column: Column) -> str:
    return dict(zip(column.labels, column.codes, strict=True)).get(text, text)


def _date(cell: Any) -> Any:
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, str) and (parts := _SLASHED_DATE.fullmatch(cell)):
        try:
            return date(*map(int, parts.groups())).isoformat()
        except ValueError:
            raise ValueError(f"日期不存在 / no such date: {cell}") from None
    return cell


def _decimal(cell: Any) -> str:
    """A decimal's exact text; a number cell's shortest repr (what Excel shows), at most 2 places."""
    if isinstance(cell, bool):
        raise ValueError("须为十进制数 / must be a decimal")
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, float):
        try:
            exact = Decimal(repr(cell))
        except InvalidOperation:
            raise ValueError("须为十进制数 / must be a decimal") from None
        if exact.as_tuple().exponent < -2:
            raise ValueError(f"最多两位小数：{repr(cell)} / at most 2 decimal places: {repr(cell)}")
        return format(exact, "f")
    return str(cell)


def _text(cell: Any) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    return str(cell)

