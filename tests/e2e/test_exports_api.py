"""The reports as Excel and CSV downloads: the same figures as the JSON reports, as numbers."""

import csv
import io
import re
from decimal import Decimal
from urllib.parse import quote

import httpx
import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from exports.sheets import dig
from exports.xlsx import display_width
from tests.builders import fund_spent, inspection_done, project_contracted, service_delivered, training_held
from tests.support import SampleDistrict, approve_towns, bearer, record, report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CST_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+08:00$")
LONGEST_LABEL = "生活无着流浪乞讨等临时遇困人员救助"  # a service domain


async def half_year(client: httpx.AsyncClient, district: SampleDistrict) -> int:
    """Services in two towns, a project with two fund lines and spending on both, an inspection."""
    a, b = district.town, district.other_town
    contract = project_contracted(a)
    return await record(client, district, [
        service_delivered(a, person_times=2, hours="1.5"),
        service_delivered(a, domain="vagrant_relief", recipient_category="vagrant", hours="2.25"),
        service_delivered(b, service_type="counselling", hours="3"),
        contract,
        fund_spent(contract["project"], amount="1000.00"),
        fund_spent(contract["project"], source="social_assistance", amount="250.50"),
        inspection_done(a),
    ])


async def download(client: httpx.AsyncClient, path: str, headers: dict, **params) -> httpx.Response:
    answer = await client.get(path, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer


def open_book(answer: httpx.Response) -> openpyxl.Workbook:
    assert answer.headers["content-type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(answer.content))


def section(ws: Worksheet, title: str) -> dict[str, tuple]:
    """The rows of the table titled `title` (its numbering ignored), by their label, as cells."""
    start = next(r for r in range(1, ws.max_row + 1) if str(ws.cell(r, 1).value or "").endswith(f"、{title}"))
    rows = {}
    for r in range(start + 2, ws.max_row + 1):  # past the title and the header
        cells = tuple(ws.cell(r, c) for c in range(1, ws.max_column + 1))
        if all(c.value is None for c in cells):
            break
        rows[cells[0].value] = cells[1:]
    return rows


def fact(ws: Worksheet, text: str):
    return next(ws.cell(r, 2).value for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == text)


def number(cell, number_format: str) -> Decimal:
    assert cell.data_type == "n" and isinstance(cell.value, int | float), f"{cell.coordinate}: {cell.value!r}"
    assert cell.number_format == number_format, f"{cell.coordinate}: {cell.number_format}"
    return Decimal(str(cell.value))


def read_csv(answer: httpx.Response) -> list[dict[str, str]]:
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


def figure_leaves(figures: dict, prefix: str = "figures") -> dict[str, object]:
    """Every figure of the API's shape but the months and villages the export leaves out."""
    found = {}
    for key, value in figures.items():
        if key in ("by_month", "by_village"):
            continue
        if isinstance(value, dict):
            found |= figure_leaves(value, f"{prefix}.{key}")
        else:
            found[f"{prefix}.{key}"] = value
    return found


async def test_the_workbook_shows_the_json_report_as_numbers(client, district):
    position = await half_year(client, district)
    staff = bearer("district", district.code)
    json_report = await report(client, district, position)
    figures = json_report["figures"]

    answer = await download(client, f"/v1/districts/{district.code}/reports/2025H1.xlsx", staff,
                            min_position=position)

    title = f"{district.name}镇(街道)民政服务站2025年上半年工作情况"
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment; ")
    assert f'filename="stations-{district.code}-2025H1.xlsx"' in disposition
    assert f"filename*=UTF-8''{quote(title + '.xlsx', safe='')}" in disposition
    book = open_book(answer)
    assert book.sheetnames == ["工作开展情况", district.name, "项目情况", "服务评价", "监督检查", "站点基本情况表",
                               "职责履行情况"]
    ws = book.active
    assert ws["A1"].value == title and ws["A1"].font.bold
    assert any(str(r) .startswith("A1:") for r in ws.merged_cells.ranges)
    assert ws["A2"].value == f"单位：{district.name}　　报告期：2025年上半年　　状态：草稿"

    overview = section(ws, "总体情况")
    assert number(overview["服务人次"][0], "#,##0") == figures["person_times"] == 4
    assert number(overview["服务时长（小时）"][0], "#,##0.0#") == Decimal(figures["service_hours"]) == Decimal("6.75")
    assert number(overview["资金支出（元）"][0], "#,##0.00") == Decimal(figures["funds_spent"]) == Decimal("1250.50")
    assert number(overview["监督检查次数"][0], "#,##0") == figures["inspections"]
    assert number(overview["核心项目数"][0], "#,##0") == figures["projects"]["core"] == 1

    by_domain = section(ws, "按服务领域")
    for code, label in (("elderly_care", "老龄和养老"), ("vagrant_relief", LONGEST_LABEL), ("charity", "慈善")):
        cells, cell = by_domain[label], figures["by_domain"][code]
        assert (number(cells[0], "#,##0"), number(cells[1], "#,##0"), number(cells[2], "#,##0.0#")) == (
            cell["person_times"], cell["recipients"], Decimal(cell["hours"]))
    assert number(by_domain["合计"][0], "#,##0") == figures["person_times"]
    assert number(section(ws, "按服务对象类别")["流浪乞讨人员"][2], "#,##0.0#") == Decimal("2.25")
    assert number(section(ws, "按服务类型")["心理疏导"][0], "#,##0") == 1

    funds = section(ws, "资金使用（按资金来源，对照合同预算）")
    budget, spent, to_date, balance, execution = funds["老龄和养老"][:5]
    assert number(budget, "#,##0.00") == Decimal("200000.00"), "the contract's elderly-care fund line"
    assert number(spent, "#,##0.00") == Decimal(figures["funds_by_source"]["elderly_care"]) == Decimal("1000.00")
    assert number(to_date, "#,##0.00") == Decimal("1000.00")
    assert number(balance, "#,##0.00") == Decimal("199000.00")
    assert number(execution, "0.0%") == Decimal("0.005")
    assert number(funds["合计"][0], "#,##0.00") == Decimal("300000.00")

    towns = {t["name"]: t for t in json_report["towns"]}
    town_rows = section(ws, "各镇(街道)情况")
    for name, town in towns.items():
        cells = town_rows[name]
        assert cells[0].value == "草稿"
        assert number(cells[2], "#,##0") == town["figures"]["person_times"]
        assert cells[11].value == ("是" if town["compliance"]["compliant"] else "否")
    assert number(town_rows["全区合计"][2], "#,##0") == figures["person_times"]

    compliance = section(ws, "达标情况")
    other = towns[district.towns[district.other_town]]
    assert compliance[other["name"]][0].value == "否"
    assert compliance[other["name"]][1].value == other["compliance"]["gaps"][0] == "站点未建立"

    assert fact(ws, "数据校验值（审计用）：检查点位置") == json_report["checkpoint"]["position"] >= position
    assert fact(ws, "数据校验值（审计用）：链头") == json_report["checkpoint"]["chain_head"]
    assert CST_STAMP.match(fact(ws, "生成时间"))
    assert fact(ws, "数据版本") == "实时数据"

    assert ws.freeze_panes == "B3"
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4 and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.column_dimensions["A"].width >= display_width(LONGEST_LABEL) == 34


async def test_the_csv_holds_every_figure_of_the_json_report(client, district):
    position = await half_year(client, district)
    staff = bearer("district", district.code)
    json_report = await report(client, district, position)

    lines = read_csv(await download(client, f"/v1/districts/{district.code}/reports/2025H1.csv", staff,
                                    min_position=position))

    assert list(lines[0]) == ["scope", "section", "key", "label", "value"]
    parts = {district.code: json_report, **{t["town"]: t for t in json_report["towns"]}}
    written = {(line["scope"], line["key"]): line["value"] for line in lines}
    assert len(written) == len(lines), "each figure once"
    compared = 0
    for (scope, key), value in written.items():
        if key.startswith("figures."):
            assert value == str(dig(parts[scope], key)), f"{scope} {key}"
            compared += 1
    expected = figure_leaves(json_report["figures"])
    assert {key: written[(district.code, key)] for key in expected} == {k: str(v) for k, v in expected.items()}
    assert compared > len(expected)
    for town in json_report["towns"]:  # each town's line of the towns' table
        assert written[(town["town"], "figures.person_times")] == str(town["figures"]["person_times"])
    assert written[(district.code, "derived.budget.elderly_care")] == "200000.00"
    assert written[(district.code, "checkpoint.position")] == str(json_report["checkpoint"]["position"])
    assert written[(district.code, "period")] == "2025年上半年"
    by_label = {(line["scope"], line["label"]): line["value"] for line in lines}
    assert by_label[(district.code, "老龄和养老 服务人次")] == "3"


async def test_a_towns_download_is_its_json_report(client, district):
    position = await half_year(client, district)
    town = district.town
    station = bearer("station", district.code, town)
    path = f"/v1/districts/{district.code}/reports/2025H1/towns/{town}"
    await report(client, district, position)
    json_report = (await download(client, path, station)).json()

    ws = open_book(await download(client, f"{path}.xlsx", station)).active
    assert ws["A1"].value == f"{district.name}{district.towns[town]}民政服务站2025年上半年工作情况"
    assert number(section(ws, "总体情况")["服务人次"][0], "#,##0") == json_report["figures"]["person_times"] == 3
    assert fact(ws, "数据校验值（审计用）：检查点位置") == json_report["checkpoint"]["position"]

    lines = read_csv(await download(client, f"{path}.csv", station))
    figures = {line["key"]: line["value"] for line in lines if line["key"].startswith("figures.")}
    assert figures == {k: str(v) for k, v in figure_leaves(json_report["figures"]).items()}
    assert (await client.get(f"/v1/districts/{district.code}/reports/2025H1/towns/{district.other_town}.xlsx",
                             headers=station)).status_code == 403


@pytest.mark.parametrize("extension", ["xlsx", "csv"])
async def test_refusals_are_those_of_the_json_report(client, district, other_district, extension):
    staff = bearer("district", district.code)

    foreign = await client.get(f"/v1/districts/{other_district.code}/reports/2025H1.{extension}", headers=staff)
    assert foreign.status_code == 404 and foreign.headers["content-type"] == "application/problem+json"
    assert foreign.json()["detail"] == (await client.get(f"/v1/districts/{other_district.code}/reports/2025H1",
                                                         headers=staff)).json()["detail"]
    for period in ("2025H3", "1999H1"):
        unknown = await client.get(f"/v1/districts/{district.code}/reports/{period}.{extension}", headers=staff)
        assert unknown.status_code == 422 and unknown.headers["content-type"] == "application/problem+json"
        assert unknown.json()["errors"][0]["field"] == "period"
    never = await client.get(f"/v1/districts/{district.code}/reports/2025H1.{extension}",
                             params={"version": "approved"}, headers=staff)
    assert never.status_code == 404
    both = await client.get(f"/v1/districts/{district.code}/reports/2025H1.{extension}",
                            params={"version": "submitted", "as_of": "2025-07-01T00:00:00+08:00"}, headers=staff)
    assert both.status_code == 422


async def test_the_submitted_version_exports_the_frozen_figures(client, district):
    staff = bearer("district", district.code)
    base = f"/v1/districts/{district.code}/reports/2025H1"
    await report(client, district, await record(client, district, [service_delivered(district.town)]))
    await approve_towns(client, district, [district.town])
    submitted = await client.post(f"{base}/submit", headers=staff)
    assert submitted.status_code == 200, submitted.text
    position = await record(client, district, [service_delivered(district.town)])
    frozen = await report(client, district, position, version="submitted")

    answer = await download(client, f"{base}.xlsx", staff, version="submitted", min_position=position)

    assert 'filename="stations-' in answer.headers["content-disposition"]
    assert "-2025H1-submitted.xlsx" in answer.headers["content-disposition"]
    assert quote("（已报送版）.xlsx", safe="") in answer.headers["content-disposition"]
    ws = open_book(answer).active
    assert number(section(ws, "总体情况")["服务人次"][0], "#,##0") == frozen["figures"]["person_times"] == 1
    assert fact(ws, "冻结后新增记录（条）") == 1
    assert fact(ws, "数据校验值（审计用）：检查点位置") == frozen["checkpoint"]["position"] < position
    assert "状态：已报送" in ws["A2"].value
    now = open_book(await download(client, f"{base}.xlsx", staff)).active
    assert number(section(now, "总体情况")["服务人次"][0], "#,##0") == 2

    lines = read_csv(await download(client, f"{base}.csv", staff, version="submitted"))
    figures = {line["key"]: line["value"] for line in lines if line["scope"] == district.code}
    assert figures["figures.person_times"] == "1"


async def test_the_city_workbook_has_the_total_the_districts_side_by_side_and_each_district(
        client, district, other_district):
    mine = await half_year(client, district)
    theirs = await record(client, other_district, [service_delivered(other_district.town, person_times=5)])
    await report(client, district, mine)
    await report(client, other_district, theirs)
    city = bearer("city")
    params = {"min_position": f"{district.code}:{mine},{other_district.code}:{theirs}"}
    json_city = (await download(client, "/v1/city/reports/2025H1", city, **params)).json()

    answer = await download(client, "/v1/city/reports/2025H1.xlsx", city, **params)

    assert 'filename="stations-city-2025H1.xlsx"' in answer.headers["content-disposition"]
    book = open_book(answer)
    names = {d["district"]: d["name"] for d in json_city["districts"]}
    assert book.sheetnames == ["工作开展情况", "全市汇总", *names.values(), "监督检查"]
    supervision = section(book["监督检查"], "各区监督检查次数")
    assert number(supervision[names[district.code]][0], "#,##0") == json_city["districts"][
        list(names).index(district.code)]["supervision"]["inspections"] == 1
    assert number(supervision["全市合计"][0], "#,##0") == json_city["supervision"]["inspections"] >= 1
    total = book["全市汇总"]
    assert total["A1"].value == "厦门市镇(街道)民政服务站2025年上半年工作情况"
    assert number(section(total, "总体情况")["服务人次"][0], "#,##0") == json_city["figures"]["person_times"]
    side_by_side = section(total, "各区情况")
    parts = {d["district"]: d for d in json_city["districts"]}
    for code in (district.code, other_district.code):
        assert number(side_by_side[names[code]][2], "#,##0") == parts[code]["figures"]["person_times"]
        assert number(side_by_side[names[code]][13], "#,##0") == parts[code]["checkpoint"]["position"]
    assert number(side_by_side[names[district.code]][6], "#,##0.00") == Decimal("300000.00")
    assert number(side_by_side["全市合计"][2], "#,##0") == json_city["figures"]["person_times"]
    sheet = book[district.name]
    assert number(section(sheet, "按服务领域")["老龄和养老"][0], "#,##0") == 3
    assert fact(sheet, "数据校验值（审计用）：检查点位置") == parts[district.code]["checkpoint"]["position"]

    lines = read_csv(await download(client, "/v1/city/reports/2025H1.csv", city))
    written = {(line["scope"], line["key"]): line["value"] for line in lines}
    assert written[("city", "figures.person_times")] == str(json_city["figures"]["person_times"])
    assert written[(other_district.code, "figures.person_times")] == "5"


@pytest.mark.parametrize("extension", ["xlsx", "csv"])
async def test_the_city_downloads_wait_on_every_position_the_json_report_waits_on(client, district, extension):
    """Every `min_position` the city's JSON report takes, its downloads take: the city's own store's
    position too, which they refused (422) while the JSON report waited on it."""
    city = bearer("city")
    mine = await record(client, district, [service_delivered(district.town, person_times=4)])
    held = await client.post("/v1/city/records", json={"records": [training_held(district.town)]}, headers=city)
    assert held.status_code == 200, held.text
    params = {"min_position": f"city:{held.json()['position']},{district.code}:{mine}"}
    json_city = (await download(client, "/v1/city/reports/2025H1", city, **params)).json()

    answer = await download(client, f"/v1/city/reports/2025H1.{extension}", city, **params)

    part = next(d for d in json_city["districts"] if d["district"] == district.code)
    assert part["figures"]["person_times"] == 4
    if extension == "csv":
        written = {(line["scope"], line["key"]): line["value"] for line in read_csv(answer)}
        assert written[(district.code, "figures.person_times")] == "4"
    else:
        sheet = open_book(answer)[district.name]
        assert number(section(sheet, "总体情况")["服务人次"][0], "#,##0") == 4
