"""A report as CSV: one line per figure, the same figures as the workbook.

Columns: `scope` (the division code the figure belongs to, or `city`), `section` (the table it
sits in, or `report` for the lines above and below the tables), `key` (its dotted path in that
scope's JSON object, `derived.` for the budget columns the report does not carry), `label` (in
Chinese) and `value` (counts as integers, hours and money exactly as the JSON writes them).
A figure shown twice in the workbook (a total line repeating the overview) is written once.
UTF-8 with a byte-order mark, so that Excel opens the Chinese as Chinese.
"""

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from exports.model import Sheet, Value, inert, plain
from exports.sheets import sheets
from kernel import clock

MEDIA_TYPE = "text/csv"
BOM = "\ufeff"
HEADER = ("scope", "section", "key", "label", "value")


def csv_text(report: Mapping[str, Any], *, generated_at: datetime | None = None,
             district_name: str | None = None) -> str:
    """The CSV of a report dict as the API returns it (see `exports.sheets.sheets`), BOM first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    seen: set[tuple[str, str]] = set()
    for sheet in sheets(report, generated_at=generated_at or clock.now(), district_name=district_name):
        for line in _lines(sheet):
            if (line[0], line[2]) not in seen:
                seen.add((line[0], line[2]))
                writer.writerow(line)
    return BOM + buffer.getvalue()


def _lines(sheet: Sheet) -> Iterator[tuple[str, str, str, str, str]]:
    for fact in (*sheet.heading, *sheet.notes):
        yield sheet.scope, "report", fact.key, inert(fact.label), _value(fact.value)
    for table in sheet.tables:
        for row in table.rows:
            for column, value, key in zip(table.columns, row.values, row.keys, strict=True):
                if key is not None:
                    label = row.label if len(table.columns) == 1 else f"{row.label} {column.label}"
                    yield row.scope, table.section, key, inert(label), _value(value)
    for fact in sheet.footer:
        yield sheet.scope, "report", fact.key, inert(fact.label), _value(fact.value)


def _value(value: Value) -> str:
    """A number exactly (a negative adjustment stays a number); text made inert."""
    return inert(value) if isinstance(value, str) else plain(value)
