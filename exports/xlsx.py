"""A report as an Excel workbook: one sheet per report (the city: its total, then each district).

Each sheet: the title merged across the tables, a line with the organisation, period and
status, notes (version, deadline), the numbered tables, and a footer with the checkpoint the
figures stand on and when the file was made. Numbers are numbers with their formats; columns
are as wide as their Chinese text; the title lines and label column stay in view when
scrolling; it prints on A4, fitted to the page's width.
"""

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from exports.model import Fact, Kind, Sheet, Table, Value, inert, shown
from exports.sheets import sheets
from kernel import clock

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Hours show one decimal, and a second only where a quarter hour was recorded: none is rounded away.
FORMATS = {Kind.count: "#,##0", Kind.hours: "#,##0.0#", Kind.money: "#,##0.00", Kind.ratio: "0.0%",
           Kind.score: "0.00"}
MIN_WIDTH, MAX_WIDTH, PADDING = 8, 100, 2
NARRATIVE_SHEET = "工作开展情况"

THIN = Side(style="thin", color="999999")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
BOLD = Font(bold=True)


def workbook(report: Mapping[str, Any], *, generated_at: datetime | None = None,
             district_name: str | None = None) -> bytes:
    """The .xlsx file of a report dict as the API returns it (see `exports.sheets.sheets`)."""
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets(report, generated_at=generated_at or clock.now(), district_name=district_name):
        _write(book.create_sheet(_tab(sheet.name)), sheet)
    _narrative_first(book)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _narrative_first(book: Workbook) -> None:
    """The narrative's sheet is the first tab (a report opens with what its level wrote), while
    the workbook opens on the report's figures."""
    if NARRATIVE_SHEET not in book.sheetnames:
        return
    narrative = book[NARRATIVE_SHEET]
    book.move_sheet(narrative, offset=-book.index(narrative))
    book.active = 1
    for n, ws in enumerate(book.worksheets):
        ws.sheet_view.tabSelected = n == 1


def display_width(text: str) -> int:
    """Columns the text takes: a CJK (wide, full-width or ambiguous) character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


class _Writer:
    """Fills a worksheet line by line, remembering each unmerged cell's width."""

    def __init__(self, ws: Worksheet, span: int):
        self.ws, self.span, self.row = ws, span, 0
        self.widths: dict[int, int] = {}

    def line(self) -> int:
        self.row += 1
        return self.row

    def cell(self, column: int, value: Value, kind: Kind = Kind.text, *, size: bool = True) -> Any:
        value = inert(value) if isinstance(value, str) else value  # openpyxl writes "=..." as a formula
        cell = self.ws.cell(self.row, column, value)
        if kind in FORMATS and value is not None and not isinstance(value, str):
            cell.number_format = FORMATS[kind]
        if size:
            width = display_width(shown(value, kind))
            self.widths[column] = max(self.widths.get(column, 0), width)
            if width > MAX_WIDTH:  # a narrative's paragraph: wrapped within the widest column
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell

    def merged(self, text: str, first: int = 1) -> Any:
        """Text across the rest of the line (it may be wider than any one column)."""
        cell = self.cell(first, text, size=False)
        if self.span > first:
            self.ws.merge_cells(start_row=self.row, start_column=first, end_row=self.row, end_column=self.span)
        return cell


def _write(ws: Worksheet, sheet: Sheet) -> None:
    span = 1 + max(len(t.columns) for t in sheet.tables)
    out = _Writer(ws, span)
    out.line()
    title = out.merged(sheet.title)
    title.font, title.alignment = Font(bold=True, size=16), Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[out.row].height = 30
    out.line()
    heading = out.merged("　　".join(f"{f.label}：{f.value}" for f in sheet.heading))
    heading.alignment = Alignment(horizontal="center")
    for fact in sheet.notes:
        _fact(out, fact)
    headers = []
    for table in sheet.tables:
        out.line()
        headers.append(_table(out, table))
    out.line()
    for fact in sheet.footer:
        _fact(out, fact)

    for column in range(1, span + 1):
        width = min(max(out.widths.get(column, 0) + PADDING, MIN_WIDTH), MAX_WIDTH)
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "B3"
    # Printed, every page repeats the title; a sheet of one table repeats its header row as well.
    ws.print_title_rows = f"1:{headers[0]}" if len(headers) == 1 else "1:2"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if span > 7 else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True


def _fact(out: _Writer, fact: Fact) -> None:
    out.line()
    out.cell(1, fact.label).font = BOLD
    if isinstance(fact.value, str) or fact.value is None:
        out.merged(fact.value or "", 2).alignment = Alignment(horizontal="left")
    else:
        out.cell(2, fact.value, fact.kind).alignment = Alignment(horizontal="left")


def _table(out: _Writer, table: Table) -> int:
    """The table, written; the row of its header."""
    out.line()
    out.cell(1, table.title, size=False).font = Font(bold=True, size=12)
    header = out.line()
    for column, text in enumerate((table.header, *(c.label for c in table.columns)), start=1):
        cell = out.cell(column, text)
        cell.font, cell.fill, cell.border = BOLD, HEADER_FILL, GRID
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in table.rows:
        out.line()
        kinds = row.kinds or tuple(c.kind for c in table.columns)
        cells = [out.cell(1, "" if row.continued else row.label)]
        cells += [out.cell(n, value, kind) for n, (value, kind) in enumerate(zip(row.values, kinds, strict=True),
                                                                             start=2)]
        for cell in cells:
            cell.border = GRID
            if row.total:
                cell.font, cell.fill = BOLD, TOTAL_FILL
    return header


def _tab(name: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    return "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31]
