"""Columns sent as one text each (`projections/packed.py`) come back as the arrays they were."""

from decimal import Decimal

import pytest

from projections.packed import pack, split

COLUMNS = [
    (["a", "", "b/c", "东坪山社区"], "text"),
    ([""], "text"),  # one empty value: not an empty array
    ([], "text"),
    (["x", None, ""], "text"),
    (["a\x1fb", "\x1e", "c\x1d"], "text"),  # values holding the first marks tried
    ([3, -1, 0], "int"),
    ([Decimal("1.50"), Decimal("-0.25"), Decimal("10")], "numeric"),
]


@pytest.mark.parametrize(("column", "kind"), COLUMNS)
async def test_a_packed_column_is_split_into_the_same_array(conn, column, kind):
    text, *marks = pack(column)
    assert await conn.fetchval(f"SELECT {split(1, kind, 2)}", text, *marks) == (column or None)


async def test_columns_packed_together_share_marks_none_of_them_holds(conn):
    first, second = ["a\x1fb"], ["c\x1e", "\x1c"]
    *texts, separator, null = pack(first, second)
    assert separator not in "".join(first + second) and null not in first + second
    assert await conn.fetchval(f"SELECT ({split(1, 'text', 3)}, {split(2, 'text', 3)})", *texts, separator, null) \
        == (first, second)
