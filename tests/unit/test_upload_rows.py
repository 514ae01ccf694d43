"""Reading an uploaded spreadsheet's cells (`exports.upload_rows`): decimals never through a float,
the dates Excel writes, the encodings a CSV comes in, and the row limit."""

import io
from datetime import datetime

import pytest
from openpyxl import Workbook

from exports.upload_rows import FileRefused, read

HEADER = "记录编号,镇(街道)代码,发生日期,服务领域,服务类型,服务对象类别,服务对象编号,服务时长（小时）"


def csv_of(*rows: str) -> bytes:
    return "\r\n".join((HEADER, *rows)).encode("utf-8")


def test_number_cells_keep_the_decimals_shown_and_refuse_a_third_place():
    book = Workbook()
    ws = book.active
    ws.title = "fund_spent"
    ws.append(["项目编号", "发生日期", "资金来源", "金额（元）", "用途"])
    for amount in (1250.5, 300000, 0.125, 12.345):
        ws.append(["P-1", datetime(2025, 3, 18), "elderly_care", amount, "交通费"])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = read(buffer.getvalue(), "funds.xlsx", 100)
    assert [r.record.get("amount") for r in upload.rows] == ["1250.5", "300000", None, None]
    assert upload.rows[0].record["occurred_on"] == "2025-03-18"
    assert [(p.row, p.column) for p in upload.problems] == [(4, "金额（元）"), (5, "金额（元）")]


def test_a_csv_in_gb18030_reads_as_in_utf8_and_slashed_dates_are_dates():
    row = ",350203001,2025/3/8,老龄和养老,巡访探视,低保对象,R-0001,1.5"
    for encoding in ("utf-8-sig", "gb18030"):
        upload = read(csv_of(row).decode("utf-8").encode(encoding), "服务台账.csv", 100)
        assert upload.problems == []
        assert [(r.record["occurred_on"], r.record["domain"], r.record["service_type"]) for r in upload.rows] == \
            [("2025-03-08", "elderly_care", "visit")]


def test_more_rows_than_the_limit_is_refused_and_a_non_spreadsheet_too():
    rows = [f",350203001,2025-03-18,elderly_care,visit,living_alone_elderly,R-{n:04},1" for n in range(3)]
    assert len(read(csv_of(*rows), "service_delivered.csv", 3).rows) == 3
    with pytest.raises(FileRefused):
        read(csv_of(*rows), "service_delivered.csv", 2)
    with pytest.raises(FileRefused):
        read(b"PK\x03\x04 not really a zip", "a.xlsx", 10)
