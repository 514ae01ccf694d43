"""The report's sections (API.md "Report sections", issue 32) on a half year written here: each section
of the town's and the district's report equals what the records below make of it, recomputed
naively in this file; the district's submission freezes them at the cut of its towns' approved
versions, with its narrative, which is screened for personal data like every free text."""

from collections import defaultdict
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.builders import (
    compliant_station, fund_spent, inspection_done, plan_record, planned, project_contracted, record_voided, rid,
    service_delivered,
)
from tests.support import SampleDistrict, approve_towns, bearer, caught_up, record, report, unreported_city_period, sign

PERIOD = "2025H1"
START, END = "2025-01-01", "2025-06-30"


def half_year(district: SampleDistrict) -> dict[str, Any]:
    """The records, and the ones the expectations below name."""
    a, b = district.town, district.other_town
    station_a = compliant_station(a, sign(district, a))
    station_b = [r for r in compliant_station(b, sign(district, b)) if r.get("item") != "printer_copier"]
    for r in station_b:
        if r.get("category") == "volunteer":
            r["posted_on_wall"] = False
    released = next(r for r in station_b if r.get("role") == "staff")
    station_b.append({"id": rid("sr"), "type": "staff_released", "town": b, "person_ref": released["person_ref"],
                      "released_on": "2025-03-01"})
    p1 = project_contracted(a, name="关爱独居老人项目", contract_start="2024-07-01", contract_end="2025-06-30")
    p2 = project_contracted(b, name="困难群众帮扶项目", purchaser_kind="town_government", method="competitive_consultation",
                            provider={"name": "厦门某公司", "kind": "enterprise", "credit_code": "91350200YUYU122BT0"},
                            contract_start="2024-10-01", contract_end="2025-09-30")
    p3 = project_contracted(a, role="linked", name="残疾人康复项目", contract_start="2025-02-01",
                            contract_end="2026-01-31")
    later = project_contracted(a, role="linked", name="下半年项目", contract_start="2025-07-01", contract_end="2025-12-31")
    people = [rid("R") for _ in range(3)]
    services = [service_delivered(a, project=p1["project"], recipient_ref=people[0], occurred_on="2025-02-03",
                                  hours="2.0", person_times=2),
                service_delivered(a, project=p1["project"], recipient_ref=people[0], occurred_on="2025-03-03",
                                  domain="social_assistance", service_type="resource_linking", hours="1.5"),
                service_delivered(a, project=p1["project"], recipient_ref=people[1], occurred_on="2025-04-03", hours="1.0"),
                service_delivered(a, project=p1["project"], recipient_ref=people[2], occurred_on="2024-12-03", hours="3.0"),
                service_delivered(a, recipient_ref=people[2], occurred_on="2025-04-04", hours="1.0"),
                service_delivered(b, project=p2["project"], recipient_ref=people[2], occurred_on="2025-05-05", hours="0.5")]
    voided = service_delivered(a, project=p1["project"], recipient_ref=people[1], occurred_on="2025-05-03", hours="4.0")
    spending = [fund_spent(p1["project"], occurred_on="2024-12-01", amount="1000.00"),
                fund_spent(p1["project"], occurred_on="2025-03-01", amount="250.50"),
                fund_spent(p1["project"], occurred_on="2025-05-01", source="social_assistance", amount="99.50"),
                fund_spent(p2["project"], occurred_on="2025-02-02", amount="300.00")]
    rectified = inspection_done(a, scopes=["execution", "funds"], rectification_due="2025-05-10")
    open_one = inspection_done(a, kind="inspection", scopes=["effect"], by="town", occurred_on="2025-05-02",
                               rectification_due="2025-06-01")
    clean = inspection_done(b, kind="supervision", scopes=["funds"], issues_found=False, rectification_due=None,
                            findings="未发现问题", occurred_on="2025-06-05")
    earlier = inspection_done(a, occurred_on="2024-11-01", rectification_due="2024-12-01")
    evaluations = [
        {"id": rid("se"), "type": "self_evaluation_submitted", "project": p1["project"], "contract_year": 1,
         "submitted_on": "2025-01-05", "summary": "按期推进", "score": "88"},
        {"id": rid("fe"), "type": "final_evaluation_done", "project": p1["project"], "contract_year": 1,
         "evaluator": "third_party", "evaluator_name": "厦门市某评估机构", "score": "92.50", "grade": "优秀",
         "done_on": "2025-06-20"}]
    batches = [station_a + station_b, [p1, p2, p3, later], services + [voided] + spending,
               [rectified, open_one, clean, earlier, *evaluations],
               [record_voided(voided["id"]),
                {"id": rid("rc"), "type": "rectification_done", "inspection": rectified["id"],
                 "occurred_on": "2025-05-01", "note": "已补齐台账"}]]
    return {"batches": batches, "projects": [p1, p2, p3, later], "services": services, "spending": spending,
            "inspections": [rectified, open_one, clean, earlier], "rectified": {rectified["id"]: "2025-05-01"},
            "stations": {a: station_a, b: station_b}}


# -- the sections recomputed from the records, naively --------------------------------------------

def in_period(day: str) -> bool:
    return START <= day <= END


def expected_projects(seed: dict[str, Any], town: str | None) -> list[dict[str, Any]]:
    found = []
    for p in seed["projects"]:
        if p["contract_start"] > END or p["contract_end"] < START or (town and p["town"] != town):
            continue
        mine = [s for s in seed["services"] if s.get("project") == p["project"] and in_period(s["occurred_on"])]
        by_domain = defaultdict(list)
        for s in mine:
            by_domain[s["domain"]].append(s)
        spent = [s for s in seed["spending"] if s["project"] == p["project"]]
        found.append({"project": p["project"], "name": p["name"], "role": p["role"], "town": p["town"],
                      "purchaser_kind": p["purchaser_kind"], "provider": p["provider"], "method": p["method"],
                      "amount": p["amount"], "contract_start": p["contract_start"], "contract_end": p["contract_end"],
                      "fund_lines": [{"source": f["source"], "level": "own", "amount": f["amount"],
                                      "spent_in_period": cents(s for s in spent if s["source"] == f["source"]
                                                               and in_period(s["occurred_on"])),
                                      "spent_to_date": cents(s for s in spent if s["source"] == f["source"])}
                                     for f in p["funds"]],
                      "services": {**cell(mine), "by_domain": {d: cell(rows) for d, rows in sorted(by_domain.items())}}})
    return sorted(found, key=lambda p: p["project"])


def cents(records) -> str:
    return str(sum((Decimal(r["amount"]) for r in records), Decimal(0)).quantize(Decimal("0.01")))


def cell(services: list[dict[str, Any]]) -> dict[str, Any]:
    return {"person_times": sum(s.get("person_times", 1) for s in services),
            "recipients": len({s["recipient_ref"] for s in services}),
            "hours": str(sum((Decimal(s["hours"]) for s in services), Decimal(0)).quantize(Decimal("0.01")))}


def compared_projects(section: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = ("project", "name", "role", "town", "purchaser_kind", "provider", "method", "amount", "contract_start",
            "contract_end", "fund_lines", "services")
    return sorted(({k: p[k] for k in keys} for p in section), key=lambda p: p["project"])


def expected_supervision(seed: dict[str, Any], town: str | None) -> dict[str, Any]:
    mine = [i for i in seed["inspections"] if in_period(i["occurred_on"]) and (town is None or i["town"] == town)]
    overdue = [i["id"] for i in seed["inspections"] if (town is None or i["town"] == town) and i["issues_found"]
               and i["rectification_due"] < END and i["id"] not in seed["rectified"]]
    return {"inspections": len(mine),
            "by_kind": {k: sum(i["kind"] == k for i in mine) for k in ("supervision", "inspection", "spot_check")},
            "by_scope": {s: sum(s in i["scopes"] for i in mine) for s in ("execution", "funds", "effect")},
            "by_level": {lv: sum(i["by"] == lv for i in mine) for lv in ("city", "district", "town")},
            "items": sorted((i["id"], i["kind"], i["by"], i["scopes"], i["issues_found"], i["rectification_due"],
                             seed["rectified"].get(i["id"])) for i in mine),
            "overdue": sorted(overdue)}


def compared_supervision(section: dict[str, Any]) -> dict[str, Any]:
    return {**{k: section[k] for k in ("inspections", "by_kind", "by_scope", "by_level")},
            "items": sorted((i["inspection"], i["kind"], i["by"], i["scopes"], i["issues_found"],
                             i["rectification_due"], i["rectified_on"]) for i in section["items"]),
            "overdue": sorted(o["inspection"] for o in section["overdue_rectifications"])}


def expected_roster(seed: dict[str, Any], town: str) -> dict[str, Any]:
    records = seed["stations"][town]
    est = next(r for r in records if r["type"] == "station_established")
    board = next(r for r in records if r["type"] == "signboard_hung")
    released = {r["person_ref"] for r in records if r["type"] == "staff_released"}
    roles = [r["role"] for r in records if r["type"] == "staff_assigned" and r["person_ref"] not in released]
    items = {r["item"] for r in records if r["type"] == "equipment_recorded"}
    rules = [r for r in records if r["type"] == "rules_adopted"]
    return {"host_facility": est["host_facility"], "address": est["address"], "established_on": est["established_on"],
            "signboard": {"text": board["text"], "hung_on": board["hung_on"]},
            "staff": {role: roles.count(role) for role in ("station_head", "deputy_head_government",
                                                           "deputy_head_provider", "staff")},
            "equipment_missing": [i for i in ("desks_chairs", "data_cabinet", "archive_cabinet", "computer",
                                              "printer_copier", "service_equipment") if i not in items],
            "rules_posted": sum(r["posted_on_wall"] for r in rules), "rules": len(rules)}


def compared_roster(entry: dict[str, Any]) -> dict[str, Any]:
    return {**{k: entry[k] for k in ("host_facility", "address", "established_on", "signboard", "staff",
                                     "equipment_missing", "rules_posted")}, "rules": len(entry["rules"])}


# -- the tests ------------------------------------------------------------------------------------

@pytest.fixture
async def seeded(client: httpx.AsyncClient, district: SampleDistrict) -> tuple[dict[str, Any], int]:
    seed = half_year(district)
    position = 0
    for batch in seed["batches"]:
        position = await record(client, district, batch)
    return seed, position


async def town_report(client: httpx.AsyncClient, district: SampleDistrict, town: str, position: int,
                      **params: Any) -> dict[str, Any]:
    answer = await caught_up(lambda: client.get(f"/v1/districts/{district.code}/reports/{PERIOD}/towns/{town}",
                                                params={"min_position": position, **params},
                                                headers=bearer("district", district.code)))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_projects_section_is_each_project_in_force_with_its_money_and_services(
        client: httpx.AsyncClient, district: SampleDistrict, seeded):
    seed, position = seeded
    whole = await report(client, district, position)
    assert compared_projects(whole["projects"]) == expected_projects(seed, None)
    town = await town_report(client, district, district.town, position)
    assert compared_projects(town["projects"]) == expected_projects(seed, district.town)
    p1 = next(p for p in whole["projects"] if p["name"] == "关爱独居老人项目")
    assert p1["services"]["person_times"] == 4 and p1["spent_to_date"] == "1350.00"
    assert p1["purchaser"] == f"{district.name}民政局"
    p2 = next(p for p in whole["projects"] if p["name"] == "困难群众帮扶项目")
    assert p2["purchaser"].startswith(district.towns[district.other_town])


async def test_evaluations_section_says_when_each_was_due_and_whether_on_time(
        client: httpx.AsyncClient, district: SampleDistrict, seeded):
    seed, position = seeded
    p1, p2 = (p["project"] for p in seed["projects"][:2])
    found = {e["project"]: e for e in (await report(client, district, position))["evaluations"]}
    assert set(found) == {p1, p2}  # the linked projects owe none
    # p1: 2024-07-01 to 2025-06-30, self due half way (182 days in), final at the end and 30 days' grace
    assert found[p1]["self_evaluation"] == {"due": "2024-12-30", "submitted_on": "2025-01-05", "score": "88.00",
                                            "status": "late"}
    assert found[p1]["final_evaluation"] == {"due": "2025-07-30", "done_on": "2025-06-20", "evaluator": "third_party",
                                             "evaluator_name": "厦门市某评估机构", "score": "92.50", "grade": "优秀",
                                             "status": "on_time"}
    # p2: 2024-10-01 to 2025-09-30: its self-evaluation fell due on 2025-04-01, before the cutoff
    assert found[p2]["self_evaluation"]["status"] == "overdue" and found[p2]["self_evaluation"]["due"] == "2025-04-01"
    assert found[p2]["final_evaluation"]["status"] == "due" and found[p2]["final_evaluation"]["due"] == "2025-10-30"


async def test_supervision_section_counts_and_lists_the_inspections_naming_overdue_rectifications(
        client: httpx.AsyncClient, district: SampleDistrict, seeded):
    seed, position = seeded
    assert compared_supervision((await report(client, district, position))["supervision"]) == \
        expected_supervision(seed, None)
    town = await town_report(client, district, district.town, position)
    assert compared_supervision(town["supervision"]) == expected_supervision(seed, district.town)
    assert town["supervision"]["by_scope"]["funds"] == 1 and len(town["supervision"]["overdue_rectifications"]) == 2


async def test_roster_section_is_each_station_as_set_up(client: httpx.AsyncClient, district: SampleDistrict, seeded):
    seed, position = seeded
    roster = {e["town"]: e for e in (await report(client, district, position))["roster"]}
    for town in (district.town, district.other_town):
        assert compared_roster(roster[town]) == expected_roster(seed, town)
    assert roster[district.other_town]["staff"]["staff"] == 1
    assert roster[district.other_town]["equipment_missing"] == ["printer_copier"]
    third = next(t for t in district.towns if t not in seed["stations"])
    assert roster[third]["established"] is False and roster[third]["staff_total"] == 0


async def test_the_submitted_versions_freeze_the_sections_at_the_cut(
        client: httpx.AsyncClient, district: SampleDistrict, seeded):
    seed, position = seeded
    live = await report(client, district, position)
    town_live = await town_report(client, district, district.town, position)
    await approve_towns(client, district)
    answer = await client.post(f"/v1/districts/{district.code}/reports/{PERIOD}/submit",
                               headers=bearer("district", district.code))
    assert answer.status_code == 200, answer.text
    # Recorded after the submission: the live report moves, the frozen versions do not.
    moved = await record(client, district, [inspection_done(district.town, occurred_on="2025-06-10", rectification_due="2025-07-10")])
    frozen = await report(client, district, moved, version="submitted")
    town_frozen = await town_report(client, district, district.town, moved, version="approved")
    for name in ("projects", "evaluations", "supervision", "roster"):
        assert frozen[name] == live[name], name
        assert town_frozen[name] == town_live[name], name
    assert (await report(client, district, moved))["supervision"]["inspections"] == live["supervision"]["inspections"] + 1


# -- the narrative (工作开展情况 / 存在问题 / 下步打算) -------------------------------------------------

NARRATIVE = {"work_done": "上半年完成独居老人探访全覆盖。", "problems": "部分村居配合不足。", "next_steps": "下半年加强培训。"}


async def test_the_narrative_is_frozen_with_each_version(client: httpx.AsyncClient, district: SampleDistrict, seeded):
    _, position = seeded
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}/reports/{PERIOD}"
    town_says = {"work_done": "站点运行正常。", "problems": None, "next_steps": None}
    answer = await caught_up(lambda: client.post(f"{base}/towns/{district.town}/submit", headers=staff,
                                                 json={"narrative": {"work_done": "站点运行正常。"}}))
    assert answer.status_code == 200, answer.text
    assert (await town_report(client, district, district.town, answer.json()["position"],
                              version="submitted"))["narrative"] == town_says
    answer = await client.post(f"{base}/towns/{district.town}/approve", headers=staff)
    assert answer.status_code == 200, answer.text
    position = answer.json()["position"]
    assert (await town_report(client, district, district.town, position, version="approved"))["narrative"] == town_says
    answer = await client.post(f"{base}/submit", headers=staff,
                               json={"incomplete_reason": "其余镇(街道)尚在审核", "narrative": NARRATIVE})
    assert answer.status_code == 200, answer.text
    assert (await report(client, district, answer.json()["position"], version="submitted"))["narrative"] == NARRATIVE


@pytest.mark.parametrize("field, text", [("problems", "联系电话 13912345678"),
                                         ("work_done", "走访对象身份证 350203198512310026")])
async def test_a_narrative_holding_personal_data_is_refused_and_nothing_is_stored(
        client: httpx.AsyncClient, district: SampleDistrict, seeded, field: str, text: str):
    _, position = seeded
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}/reports/{PERIOD}"
    for path, body in ((f"{base}/towns/{district.town}/submit", {"narrative": {**NARRATIVE, field: text}}),
                       (f"{base}/submit", {"incomplete_reason": "尚在审核", "narrative": {field: text}})):
        answer = await client.post(path, headers=staff, json=body)
        assert answer.status_code == 422, answer.text
        assert any(field in ".".join(map(str, e.get("loc", []))) or field in str(e) for e in answer.json()["errors"])
    for params in ({"version": "submitted"}, {}):
        found = await client.get(f"{base}/towns/{district.town}", params={"min_position": position, **params},
                                 headers=staff)
        assert found.status_code == (404 if params else 200), found.text
    assert found.json()["status"] == "draft"
    assert (await client.get(base, params={"version": "submitted"}, headers=staff)).status_code == 404


# -- the workbook and the CSV --------------------------------------------------------------------

SECTION_SHEETS = ("工作开展情况", "项目情况", "服务评价", "监督检查", "站点基本情况表")


def rows_of(ws, title: str) -> dict[Any, tuple]:
    """The rows of the table titled `title` (numbering ignored), by label, as cells."""
    start = next(r for r in range(1, ws.max_row + 1) if str(ws.cell(r, 1).value or "").endswith(f"、{title}"))
    header = [ws.cell(start + 1, c).value for c in range(1, ws.max_column + 1)]
    found = {}
    for r in range(start + 2, ws.max_row + 1):
        cells = tuple(ws.cell(r, c) for c in range(1, ws.max_column + 1))
        if all(c.value is None for c in cells):
            break
        found.setdefault(cells[0].value, dict(zip(header[1:], cells[1:], strict=True)))
    return found


def numeric(cell) -> Decimal:
    assert cell.data_type == "n" and isinstance(cell.value, int | float), f"{cell.coordinate}: {cell.value!r}"
    return Decimal(str(cell.value))


async def test_the_workbook_has_a_sheet_for_each_section_with_its_figures_and_the_csv_its_lines(
        client: httpx.AsyncClient, district: SampleDistrict, seeded):
    import csv
    import io

    import openpyxl

    seed, position = seeded
    staff, base = bearer("district", district.code), f"/v1/districts/{district.code}/reports/{PERIOD}"
    first = seed["projects"][0]
    await record(client, district, [plan_record(planned(first["project"], first["town"]))])
    for path, who in ((f"/v1/districts/{district.code}/plans/2025/submit", staff),
                      (f"/v1/city/plans/2025/districts/{district.code}/file", bearer("city"))):
        filed = await caught_up(lambda path=path, who=who: client.post(path, headers=who))
        assert filed.status_code == 200, filed.text
    await approve_towns(client, district)
    answer = await client.post(f"{base}/submit", headers=staff, json={"narrative": NARRATIVE})
    assert answer.status_code == 200, answer.text
    frozen = await report(client, district, answer.json()["position"], version="submitted")
    book_answer = await client.get(f"{base}.xlsx", params={"version": "submitted"}, headers=staff)
    assert book_answer.status_code == 200, book_answer.text
    book = openpyxl.load_workbook(io.BytesIO(book_answer.content))
    assert book.sheetnames == ["工作开展情况", district.name, *SECTION_SHEETS[1:], "职责履行情况"]
    assert book.active.title == district.name
    for name in SECTION_SHEETS:
        ws = book[name]
        assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4 and ws.print_title_rows
        assert ws["A1"].value == f"{district.name}镇(街道)民政服务站2025年上半年工作情况——{name}"

    narrative = rows_of(book["工作开展情况"], "工作开展情况、存在问题和下步打算")
    assert narrative["存在问题"]["内容"].value == NARRATIVE["problems"]

    projects = rows_of(book["项目情况"], "本期在履行的项目")
    assert numeric(projects[first["name"]]["合同总额（元）"]) == Decimal(first["amount"])
    assert numeric(projects[first["name"]]["累计支出（元）"]) == Decimal("1350.00")
    assert projects[first["name"]]["合同总额（元）"].number_format == "#,##0.00"
    assert numeric(projects[first["name"]]["服务人次"]) == 4

    evaluations = rows_of(book["服务评价"], "核心项目中期自评与期末评估")
    assert numeric(evaluations[first["name"]]["评估得分"]) == Decimal("92.5")
    assert evaluations[first["name"]]["评估情况"].value == "按时完成"

    counts = rows_of(book["监督检查"], "监督检查次数")
    assert numeric(counts["监督检查次数"]["次数"]) == expected_supervision(seed, None)["inspections"] == 3

    roster_ws = book["站点基本情况表"]
    roster = rows_of(roster_ws, "站点基本情况")
    other = district.towns[district.other_town]
    assert numeric(roster[other]["工作人员"]) == 1 and roster[other]["缺少设备"].value == "打印机(复印机)"
    header_row = next(r for r in range(1, roster_ws.max_row + 1) if roster_ws.cell(r, 1).value == "镇(街道)")
    assert roster_ws.print_title_rows == f"$1:${header_row}"  # the header repeats on every printed page

    duties = book["职责履行情况"]
    assert rows_of(duties, "2025年度购买计划及备案")["计划状态"]["情况"].value == frozen["plan"]["status_label"] == "已备案"
    planned_total = rows_of(duties, "计划与合同（按资金来源，合同按本年度分摊）")["合计"]
    assert numeric(planned_total["计划金额（元）"]) == Decimal(frozen["plan"]["planned_amount"]) == Decimal("300000.00")
    assert numeric(planned_total["合同金额（元）"]) == Decimal(frozen["plan"]["contracted_amount"]) > 0

    csv_answer = await client.get(f"{base}.csv", params={"version": "submitted"}, headers=staff)
    lines = {(line["section"], line["key"]): line["value"]
             for line in csv.DictReader(io.StringIO(csv_answer.content.decode("utf-8-sig")))}
    n = next(i for i, p in enumerate(frozen["projects"]) if p["project"] == first["project"])
    assert lines[("projects", f"projects.{n}.spent_to_date")] == "1350.00"
    assert lines[("supervision", "supervision.inspections")] == "3"
    assert lines[("narrative", "narrative.next_steps")] == NARRATIVE["next_steps"]
    assert lines[("roster", "roster.1.staff.staff")] == "1"


async def test_the_city_s_narrative_is_screened_and_frozen_with_its_version(client: httpx.AsyncClient):
    period = await unreported_city_period(client)
    city, path = bearer("city"), f"/v1/city/reports/{period}"
    refused = await client.post(f"{path}/submit", headers=city,
                                json={"incomplete_reason": "测试", "narrative": {"problems": "联系 13912345678"}})
    assert refused.status_code == 422, refused.text
    assert (await client.get(path, params={"version": "submitted"}, headers=city)).status_code == 404
    submitted = await client.post(f"{path}/submit", headers=city, json={"incomplete_reason": "测试", "narrative": NARRATIVE})
    assert submitted.status_code == 200, submitted.text
    frozen = await caught_up(lambda: client.get(path, headers=bearer("province"), params={
        "version": "submitted", "min_position": f"city:{submitted.json()['position']}"}))
    assert frozen.status_code == 200, frozen.text
    assert frozen.json()["narrative"] == NARRATIVE
