"""Spreadsheet templates and uploads (API.md, "Templates and spreadsheet uploads"), with files made
by openpyxl as a station's staff would fill them."""

import io
from datetime import date

import httpx
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import column_index_from_string

from typer.testing import CliRunner

from stations import importer
from stations.cli import app as cli
from tests.builders import project_contracted, rid
from tests.support import SampleDistrict, bearer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SERVICE_HEADERS = ["记录编号", "镇(街道)代码", "发生日期", "服务领域", "服务类型", "服务对象类别", "服务对象编号", "服务时长（小时）"]


def imports(district: SampleDistrict) -> str:
    return f"/v1/districts/{district.code}/imports"


def services_book(town: str, rows: list[list], headers: list[str] = SERVICE_HEADERS,
                  sheet: str = "service_delivered") -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def service_row(town: str, **changes) -> list:
    row = {"id": None, "town": town, "occurred_on": date(2025, 3, 18), "domain": "老龄和养老", "service_type": "visit",
           "recipient_category": "living_alone_elderly", "recipient_ref": rid("R"), "hours": 1.5} | changes
    return list(row.values())


async def upload(client: httpx.AsyncClient, district: SampleDistrict, content: bytes, headers: dict,
                 name: str = "services.xlsx", media: str = XLSX, **params) -> httpx.Response:
    return await client.post(imports(district), headers=headers, files={"file": (name, content, media)},
                             params=params)


async def logged_ids(client: httpx.AsyncClient, district: SampleDistrict) -> list[str]:
    answer = await client.get(f"/v1/districts/{district.code}/events", params={"limit": 1000},
                              headers=bearer("auditor"))
    assert answer.status_code == 200, answer.text
    return [e["record_id"] for e in answer.json()["events"]]


async def test_a_good_file_is_stored_and_the_same_file_again_is_all_duplicate(client, district: SampleDistrict):
    station = bearer("station", district.code, district.town)
    content = services_book(district.town, [service_row(district.town, id="svc-x-1"),
                                            service_row(district.town, occurred_on="2025/3/19", hours="2"),
                                            service_row(district.town, occurred_on="2025-03-20")])
    answer = await upload(client, district, content, station)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {k: body[k] for k in ("rows", "accepted", "duplicate", "refused")} == \
        {"rows": 3, "accepted": 3, "duplicate": 0, "refused": []}
    events = (await client.get(f"/v1/districts/{district.code}/events", headers=bearer("auditor"))).json()["events"]
    assert [e["record_id"] for e in events][0] == "svc-x-1"
    assert [e["payload"]["occurred_on"] for e in events] == ["2025-03-18", "2025-03-19", "2025-03-20"]
    assert [e["payload"]["hours"] for e in events] == ["1.50", "2.00", "1.50"]
    assert events[0]["payload"]["domain"] == "elderly_care"  # the Chinese label, stored as its code
    again = await upload(client, district, content, station)
    assert again.status_code == 200, again.text
    assert (again.json()["accepted"], again.json()["duplicate"]) == (0, 3)
    assert len(await logged_ids(client, district)) == 3


async def test_one_bad_row_refuses_the_file_naming_sheet_row_and_column(client, district: SampleDistrict):
    station = bearer("station", district.code, district.town)
    content = services_book(district.town, [service_row(district.town), service_row(district.town, hours="1.555"),
                                            service_row(district.town, domain="不存在的领域")])
    answer = await upload(client, district, content, station)
    assert answer.status_code == 422, answer.text
    errors = answer.json()["errors"]
    assert [(e["sheet"], e["row"], e["column"]) for e in errors] == \
        [("service_delivered", 3, "服务时长（小时）"), ("service_delivered", 4, "服务领域")]
    assert all(" / " in e["detail"] for e in errors)  # Chinese and English
    assert await logged_ids(client, district) == []


async def test_a_formula_cell_is_refused_and_a_resident_id_in_a_note_names_its_row(client, district: SampleDistrict):
    station = bearer("station", district.code, district.town)
    formula = services_book(district.town, [service_row(district.town, hours="=1+1")])
    answer = await upload(client, district, formula, station)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["column"] == "服务时长（小时）"
    assert "公式" in answer.json()["errors"][0]["detail"]
    with_note = services_book(district.town, [service_row(district.town),
                                              service_row(district.town) + ["11010519491231002X"]],
                              headers=[*SERVICE_HEADERS, "村(居)"])
    noted = await upload(client, district, with_note, station)
    assert noted.status_code == 422, noted.text
    assert [(e["row"], e["column"]) for e in noted.json()["errors"]] == [(3, "村(居)")]
    assert "身份证" in noted.json()["errors"][0]["detail"]
    assert await logged_ids(client, district) == []


async def test_a_gb18030_csv_with_labels_instead_of_codes_is_stored(client, district: SampleDistrict):
    town = district.town
    lines = [",".join(SERVICE_HEADERS),
             f",{town},2025/3/18,老龄和养老,巡访探视,低保对象,{rid('R')},1.5",
             f"svc-csv-2,{town},2025-03-19,elderly_care,visit,living_alone_elderly,{rid('R')},2.25"]
    content = "\r\n".join(lines).encode("gb18030")
    answer = await upload(client, district, content, bearer("station", district.code, town),
                          name="服务台账.csv", media="text/csv", record_type="service_delivered")
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 2
    events = (await client.get(f"/v1/districts/{district.code}/events", headers=bearer("auditor"))).json()["events"]
    assert [(e["payload"]["service_type"], e["payload"]["recipient_category"]) for e in events][0] == \
        ("visit", "subsistence_allowance")


async def test_a_station_uploading_the_purchaser_s_spending_is_not_its_duty(client, district: SampleDistrict):
    contract = project_contracted(district.town)  # bought by the district bureau
    written = await client.post(f"/v1/districts/{district.code}/records", headers=bearer("district", district.code),
                                json={"records": [contract]})
    assert written.status_code == 200, written.text
    headers = ["记录编号", "项目编号", "发生日期", "资金来源", "金额（元）", "用途"]
    content = services_book(district.town, [[None, contract["project"], "2025-04-01", "老龄和养老", 1250.5, "交通费"]],
                            headers=headers, sheet="fund_spent")
    answer = await upload(client, district, content, bearer("station", district.code, district.town))
    assert answer.status_code == 403, answer.text
    problem = answer.json()
    assert problem["type"] == "/problems/not-your-duty"
    assert [(e["sheet"], e["row"], e["owner"]) for e in problem["errors"]] == [("fund_spent", 2, "district")]
    assert await logged_ids(client, district) == [contract["id"]]
    by_the_district = await upload(client, district, content, bearer("district", district.code))
    assert by_the_district.status_code == 200, by_the_district.text
    events = (await client.get(f"/v1/districts/{district.code}/events", headers=bearer("auditor"))).json()["events"]
    assert events[-1]["payload"]["amount"] == "1250.50"  # a number cell, never rounded through a float


async def test_a_refusal_in_a_later_batch_stores_nothing_of_the_batches_before(client, district: SampleDistrict):
    contract = project_contracted(district.town)  # bought by the district bureau: its spending is not the station's
    written = await client.post(f"/v1/districts/{district.code}/records", headers=bearer("district", district.code),
                                json={"records": [contract]})
    assert written.status_code == 200, written.text
    book = load_workbook(io.BytesIO(services_book(district.town, [service_row(district.town) for _ in range(1000)])))
    spending = book.create_sheet("fund_spent")
    spending.append(["记录编号", "项目编号", "发生日期", "资金来源", "金额（元）", "用途"])
    spending.append([None, contract["project"], "2025-04-01", "老龄和养老", 12.5, "交通费"])  # row 1,001: the second batch
    buffer = io.BytesIO()
    book.save(buffer)

    answer = await upload(client, district, buffer.getvalue(), bearer("station", district.code, district.town))

    assert answer.status_code == 403, answer.text
    assert [(e["sheet"], e["row"]) for e in answer.json()["errors"]] == [("fund_spent", 2)]
    assert await logged_ids(client, district) == [contract["id"]]


async def test_unknown_columns_not_a_spreadsheet_and_too_large_are_refused(client, app, district: SampleDistrict):
    station = bearer("station", district.code, district.town)
    unknown = await upload(client, district, services_book(district.town, [service_row(district.town)], headers=[*SERVICE_HEADERS, "备注二"]),
                           station)
    assert unknown.status_code == 422 and "备注二" in unknown.text, unknown.text
    picture = await upload(client, district, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", station, name="a.png",
                           media="image/png")
    assert picture.status_code == 422, picture.text
    limit = app.state.upload_limits.max_bytes
    too_large = await upload(client, district, b"x" * (limit + 1), station)
    assert too_large.status_code == 413, too_large.text
    assert await logged_ids(client, district) == []


async def test_the_template_opens_with_headers_wire_names_lists_and_explanation(client):
    answer = await client.get("/v1/templates/service_delivered.xlsx")
    assert answer.status_code == 200, answer.text
    book = load_workbook(io.BytesIO(answer.content))
    sheet = book["service_delivered"]
    headers = [c.value for c in sheet[1]]
    assert headers[0] == "记录编号" and "服务时长（小时）" in headers
    assert [c.value for c in sheet[2]][headers.index("服务领域")] == "domain"
    listed = {headers[column_index_from_string(str(v.sqref).split(":")[0].rstrip("0123456789")) - 1]
              for v in sheet.data_validations.dataValidation}
    assert listed == {"服务领域", "服务类型", "服务对象类别"}
    explained = [row[1] for row in book["每列说明"].iter_rows(values_only=True)]
    assert "recipient_ref" in explained
    csv = await client.get("/v1/templates/service_delivered.csv")
    assert csv.status_code == 200 and csv.text.lstrip("\ufeff").startswith("记录编号,"), csv.text
    unknown = await client.get("/v1/templates/no_such_record.xlsx")
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("application/problem+json")


async def test_the_import_command_sends_a_spreadsheet_whole_and_again_as_duplicates(client, district, tmp_path):
    station = bearer("station", district.code, district.town)["Authorization"].removeprefix("Bearer ")
    path = tmp_path / "服务台账.xlsx"
    path.write_bytes(services_book(district.town, [service_row(district.town), service_row(district.town)]))
    first = await importer.upload_spreadsheet(client, path, district.code, station)
    again = await importer.upload_spreadsheet(client, path, district.code, station)
    assert [(s.sent, s.accepted, s.duplicates) for s in (first, again)] == [(2, 2, 0), (2, 0, 2)]
    path.write_bytes(services_book(district.town, [service_row(district.town, hours="一小时")]))
    with pytest.raises(importer.ImportStopped) as stopped:
        await importer.upload_spreadsheet(client, path, district.code, station)
    assert "HTTP 422" in stopped.value.en
    assert any("row 2 服务时长（小时）" in line for line in stopped.value.details), stopped.value.details


def test_the_import_command_takes_an_xlsx_and_asks_its_district(tmp_path):
    path = tmp_path / "services.xlsx"
    path.write_bytes(services_book("350203001", [service_row("350203001")]))
    unscoped = CliRunner().invoke(cli, ["import", str(path), "--token", "x.y.z", "--url", "http://127.0.0.1:9"])
    assert unscoped.exit_code != 0 and "district" in unscoped.output, unscoped.output
    unreachable = CliRunner().invoke(cli, ["import", str(path), "--token", "x.y.z", "--district", "350203",
                                           "--url", "http://127.0.0.1:9", "--retries", "0"])
    assert unreachable.exit_code == 1 and "cannot reach" in unreachable.output, unreachable.output
