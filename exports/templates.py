"""The spreadsheet templates a station fills: `GET /v1/templates/{record_type}.xlsx|.csv`.

The workbook: a sheet named by the record type's wire name (the upload knows the type by it)
with the Chinese headers on the first line and the wire names beneath, drop-down lists of the
vocabulary's Chinese labels in coded columns; the explanation sheet (每列说明) with each column's
rule and an example; a hidden sheet of the lists. The CSV: the two header lines alone.
"""

import csv
import io
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from exports.columns import Layout, layout
from exports.csv import BOM
from exports.xlsx import BOLD, GRID, HEADER_FILL, MAX_WIDTH, MIN_WIDTH, PADDING, display_width

EXPLANATION, LISTS = "每列说明", "词表"
SKIPPED = frozenset({EXPLANATION, LISTS})  # the template's own sheets, never records
HEADER_LINES = 2  # the Chinese headers, then the wire names
FILLED_ROWS = 50_000  # rows the drop-down lists cover
WIRE_FONT = Font(color="808080", size=9)


def workbook(record_type: str) -> bytes:
    """The template of a record type as an .xlsx file; KeyError for a type no district records."""
    shape = layout(record_type)
    book = Workbook()
    data = book.active
    data.title = record_type
    lists = book.create_sheet(LISTS)
    lists.sheet_state = "hidden"
    for n, column in enumerate(shape.columns, start=1):
        head = data.cell(1, n, column.header)
        head.font, head.fill, head.border = BOLD, HEADER_FILL, GRID
        head.alignment = Alignment(horizontal="center", wrap_text=True)
        data.cell(2, n, column.wire).font = WIRE_FONT
        letter = get_column_letter(n)
        width = max(display_width(column.header), display_width(column.wire), display_width(str(column.example)))
        data.column_dimensions[letter].width = min(max(width + PADDING, MIN_WIDTH), MAX_WIDTH)
        if column.labels:
            for row, text in enumerate(column.labels, start=1):
                lists.cell(row, n, text)
            source = f"{quote_sheetname(LISTS)}!${letter}$1:${letter}${len(column.labels)}"
            # A column of several codes takes any text: the list only suggests its labels.
            check = DataValidation(type="list", formula1=source, allow_blank=True,
                                   showErrorMessage=column.kind == "code",
                                   errorTitle="不在词表中", error="请从下拉列表选择 / pick from the list")
            check.add(f"{letter}{HEADER_LINES + 1}:{letter}{HEADER_LINES + FILLED_ROWS}")
            data.add_data_validation(check)
    data.freeze_panes = f"A{HEADER_LINES + 1}"
    _explain(book.create_sheet(EXPLANATION, 1), shape)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _explain(ws, shape: Layout) -> None:
    ws.append([f"{shape.name}（{shape.record_type}）填写说明：第 1 行为中文列名，第 2 行为接口字段名，自第 3 行起每行一条记录"])
    ws.append(["列名 header", "字段名 wire name", "必填 required", "规则 rule", "示例 example"])
    for cell in ws[2]:
        cell.font, cell.fill, cell.border = BOLD, HEADER_FILL, GRID
    for column in shape.columns:
        ws.append([column.header, column.wire, "是" if column.required else "否", column.rule, column.example])
    if shape.left_out:
        ws.append([])
        ws.append([f"未列入表格的字段（须通过接口报送）/ fields with no column, sent through the API:"
                   f" {', '.join(shape.left_out)}"])
    ws.append([])
    ws.append(["示例行 / example row"])
    ws.append([c.header for c in shape.columns])
    ws.append([c.example for c in shape.columns])
    for letter, width in zip("ABCDE", (24, 26, 12, 90, 24), strict=True):
        ws.column_dimensions[letter].width = width


def csv_text(record_type: str) -> str:
    """The template as CSV: the Chinese headers, then the wire names; UTF-8 with a BOM for Excel."""
    shape = layout(record_type)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in shape.columns])
    writer.writerow([c.wire for c in shape.columns])
    return BOM + buffer.getvalue()
