"""What an exported report holds, whatever the format: sheets of titled tables of typed values.

The workbook (`exports.xlsx`), the CSV (`exports.csv`) and the terminal (`stations report show`)
render the same `Sheet`s (built by `exports.sheets`), so each shows the very same figures.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from projections.periods import bounds
from kernel.clock import CST


class Kind(StrEnum):
    """How a value is shown: each kind has its own number format."""

    text = "text"
    count = "count"  # an integer: person-times, people, stations...
    hours = "hours"  # a Decimal
    money = "money"  # a Decimal, yuan
    ratio = "ratio"  # a Decimal fraction, shown as a percentage
    score = "score"  # a Decimal, an evaluation's score


Value = int | Decimal | str | None


@dataclass(frozen=True)
class Column:
    label: str  # the Chinese heading
    kind: Kind


@dataclass(frozen=True)
class Row:
    """One line of a table: its label, then one value per column.

    `keys` name each value as a dotted path in the JSON object of `scope` (the report itself, or
    the entry of a town or district it lists), e.g. `figures.by_domain.elderly_care.hours`;
    a value the report does not carry but the export derives starts with `derived.`; None for
    text that is no figure (a gap repeated on a continuation line).
    """

    scope: str  # the division code the values belong to, or "city"
    label: str
    values: tuple[Value, ...]
    keys: tuple[str | None, ...]
    total: bool = False  # a closing line (合计), shown in bold
    continued: bool = False  # a further line of the row above (its label is not repeated)
    kinds: tuple[Kind, ...] = ()  # each value's kind, where it is not its column's


@dataclass(frozen=True)
class Table:
    section: str  # a stable name, for machines: "overview", "by_domain", "towns"...
    title: str
    header: str  # the heading of the label column
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Fact:
    """A single labelled value above or below the tables (the organisation, the checkpoint...)."""

    key: str
    label: str
    value: Value
    kind: Kind = Kind.text


@dataclass(frozen=True)
class Sheet:
    name: str  # the worksheet's tab
    scope: str
    title: str
    heading: tuple[Fact, ...]  # organisation, period, status: one line under the title
    notes: tuple[Fact, ...]  # version, deadline, as-of...: a line each
    tables: tuple[Table, ...]
    footer: tuple[Fact, ...]


def period_zh(period: str) -> str:
    """`2025H1` → `2025年上半年`."""
    bounds(period)  # refuses anything that is not a half year
    return f"{period[:4]}年{'上' if period[5] == '1' else '下'}半年"


def cst_text(moment: datetime) -> str:
    """A moment as people read it, in China Standard Time: `2025-07-01 09:30:00 +08:00`."""
    local = moment.astimezone(CST)
    return f"{local:%Y-%m-%d %H:%M:%S} {local.isoformat()[-6:]}"


def shown(value: Value, kind: Kind) -> str:
    """A value as a person reads it, as the workbook's number formats show it."""
    if value is None or isinstance(value, str):
        return value or ""
    if kind is Kind.ratio:
        return f"{value:.1%}"
    if kind is Kind.hours:  # one decimal, a second only where there is one
        text = f"{value:,.2f}"
        return text[:-1] if text.endswith("0") else text
    if kind in (Kind.money, Kind.score):
        return f"{value:,.2f}"
    return f"{value:,}"


# What a spreadsheet takes for the start of a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    """Text that a spreadsheet shows as text: one that begins like a formula gets a leading
    apostrophe, so a name such as `=HYPERLINK(...)` is never evaluated on an officer's machine."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def plain(value: Value) -> str:
    """A value as text, exactly: counts and decimals as the JSON report writes them."""
    return "" if value is None else str(value)
