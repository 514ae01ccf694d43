"""The report's sections as sheets of their own (issue 32): 工作开展情况 (the narrative), 项目情况,
服务评价, 监督检查, 站点基本情况表 and 职责履行情况 (`duty_sheet`), each under the heading, notes and footer of the report's main
sheet. Every value is the report's own, keyed by its path in the JSON report, so the CSV carries
them as it carries the figures."""

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from domain.vocabulary import label
from exports.duty_sheet import SHEET as DUTIES, duty_tables
from exports.model import Column, Kind, Row, Sheet, Table, Value

COUNT, HOURS, MONEY, RATIO, TEXT, SCORE = Kind.count, Kind.hours, Kind.money, Kind.ratio, Kind.text, Kind.score
NARRATIVE = (("work_done", "工作开展情况"), ("problems", "存在问题"), ("next_steps", "下步打算"))
TIMING = {"on_time": "按时完成", "late": "逾期完成", "due": "未到期", "overdue": "逾期未完成"}
LEVELS = {"city": "市", "district": "区", "town": "镇(街道)"}
SHARED = "多镇(街道)共同购买"
NUMERALS = "一二三四五六七八九十"


def section_sheets(report: Mapping[str, Any], main: Sheet) -> list[Sheet]:
    """The narrative's sheet, and for a town's or a district's report the four sections' sheets."""
    found = [_sheet(main, "工作开展情况", [_narrative(main.scope, report.get("narrative"), "version" in report)])]
    if report["level"] == "city":
        return [*found, _sheet(main, "监督检查", [_city_supervision(report)])] if "supervision" in report else found
    if "projects" not in report:  # a version frozen before the sections existed
        return found
    names = {t["town"]: t["name"] for t in report.get("towns", [])} | (
        {report["town"]: report.get("name") or report["town"]} if report["level"] == "town" else {})
    scope = main.scope
    return [*found,
            _sheet(main, "项目情况", _projects(scope, report["projects"], names)),
            _sheet(main, "服务评价", [_evaluations(scope, report["evaluations"], names)]),
            _sheet(main, "监督检查", _supervision(scope, report["supervision"], names)),
            _sheet(main, "站点基本情况表", [_roster(scope, report["roster"])]),
            *([_sheet(main, DUTIES, duties)] if (duties := duty_tables(scope, report, names)) else [])]


def _sheet(main: Sheet, name: str, tables: list[Table]) -> Sheet:
    numbered = tuple(replace(t, title=f"{NUMERALS[n]}、{t.title}") for n, t in enumerate(tables))
    return replace(main, name=name, title=f"{main.title}——{name}", tables=numbered)


def _code(group: str, code: str | None) -> str | None:
    try:
        return label(group, code) if code else None
    except KeyError:  # a code a later vocabulary dropped still shows, as its code
        return code


def _decimal(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None


def _table(section: str, title: str, header: str, columns: tuple[tuple[str, Kind], ...], rows: list[Row]) -> Table:
    return Table(section, title, header, tuple(Column(text, kind) for text, kind in columns), tuple(rows))


def _row(scope: str, name: str, path: str, cells: list[tuple[str | None, Value]], *, continued: bool = False) -> Row:
    """A line of values, each keyed by its path under `path` (None: shown, not a value of the report)."""
    return Row(scope, name, tuple(v for _, v in cells),
               tuple(None if key is None or value is None else f"{path}.{key}" for key, value in cells),
               continued=continued)


# -- 工作开展情况 ------------------------------------------------------------------------------------

def _narrative(scope: str, narrative: Mapping[str, Any] | None, frozen: bool) -> Table:
    missing = "（未填写）" if frozen else "（报送时由报送单位填写）"
    rows = [Row(scope, text, ((narrative or {}).get(key) or missing,),
                (f"narrative.{key}" if (narrative or {}).get(key) else None,)) for key, text in NARRATIVE]
    return _table("narrative", "工作开展情况、存在问题和下步打算", "项目", (("内容", TEXT),), rows)


# -- 项目情况 ----------------------------------------------------------------------------------------

PROJECT_COLUMNS = (("类型", TEXT), ("镇(街道)", TEXT), ("购买主体", TEXT), ("承接方", TEXT), ("承接方类型", TEXT),
                   ("统一社会信用代码", TEXT), ("购买方式", TEXT), ("合同总额（元）", MONEY), ("合同期限", TEXT),
                   ("本期支出（元）", MONEY), ("累计支出（元）", MONEY), ("累计执行率", RATIO),
                   ("服务人次", COUNT), ("服务人数", COUNT), ("服务时长（小时）", HOURS))
LINE_COLUMNS = (("资金来源", TEXT), ("资金层级", TEXT), ("合同总额（元）", MONEY), ("本期支出（元）", MONEY),
                ("累计支出（元）", MONEY), ("累计执行率", RATIO))
DOMAIN_COLUMNS = (("服务领域", TEXT), ("服务人次", COUNT), ("服务人数", COUNT), ("服务时长（小时）", HOURS))


def _rate(spent: str, amount: str) -> Decimal | None:
    return Decimal(spent) / Decimal(amount) if Decimal(amount) else None


def _projects(scope: str, projects: list[dict[str, Any]], names: dict[str, str]) -> list[Table]:
    main, lines, domains = [], [], []
    for n, p in enumerate(projects):
        path, services = f"projects.{n}", p["services"]
        main.append(_row(scope, p["name"], path, [
            ("role", _code("project_role", p["role"])), ("town", names.get(p["town"], p["town"]) or SHARED),
            ("purchaser", p["purchaser"]), ("provider.name", p["provider"]["name"]),
            ("provider.kind", _code("provider_kind", p["provider"]["kind"])),
            ("provider.credit_code", p["provider"]["credit_code"]), ("method", _code("procurement_method", p["method"])),
            ("amount", Decimal(p["amount"])), (None, f"{p['contract_start']} 至 {p['contract_end']}"),
            ("spent_in_period", Decimal(p["spent_in_period"])), ("spent_to_date", Decimal(p["spent_to_date"])),
            (None, _rate(p["spent_to_date"], p["amount"])), ("services.person_times", services["person_times"]),
            ("services.recipients", services["recipients"]), ("services.hours", Decimal(services["hours"]))]))
        for m, line in enumerate(p["fund_lines"]):
            lines.append(_row(scope, p["name"], f"{path}.fund_lines.{m}", [
                ("source", _code("fund_source", line["source"])), ("level", _code("fund_level", line["level"])),
                ("amount", Decimal(line["amount"])), ("spent_in_period", Decimal(line["spent_in_period"])),
                ("spent_to_date", Decimal(line["spent_to_date"])), (None, _rate(line["spent_to_date"], line["amount"]))],
                continued=m > 0))
        for m, (domain, cell) in enumerate(services["by_domain"].items()):
            domains.append(_row(scope, p["name"], f"{path}.services.by_domain.{domain}", [
                (None, _code("service_domain", domain)), ("person_times", cell["person_times"]),
                ("recipients", cell["recipients"]), ("hours", Decimal(cell["hours"]))], continued=m > 0))
    return [_table("projects", "本期在履行的项目", "项目名称", PROJECT_COLUMNS, main),
            _table("project_funds", "项目资金（按资金来源，合同总额与累计执行率）", "项目名称", LINE_COLUMNS, lines),
            _table("project_services", "项目本期服务（按服务领域）", "项目名称", DOMAIN_COLUMNS, domains)]


# -- 服务评价 ----------------------------------------------------------------------------------------

EVALUATION_COLUMNS = (("镇(街道)", TEXT), ("合同年度", COUNT), ("年度起止", TEXT), ("中期自评应完成日期", TEXT),
                      ("自评提交日期", TEXT), ("自评得分", SCORE), ("自评情况", TEXT), ("期末评估应完成日期", TEXT),
                      ("评估完成日期", TEXT), ("评估主体", TEXT), ("评估机构", TEXT), ("评估得分", SCORE),
                      ("评估等级", TEXT), ("评估情况", TEXT))


def _evaluations(scope: str, items: list[dict[str, Any]], names: dict[str, str]) -> Table:
    rows = []
    for n, e in enumerate(items):
        own, final = e["self_evaluation"] or {}, e["final_evaluation"]
        rows.append(_row(scope, e["name"], f"evaluations.{n}", [
            ("town", names.get(e["town"], e["town"]) or SHARED), ("contract_year", e["contract_year"]),
            (None, f"{e['year_start']} 至 {e['year_end']}"),
            ("self_evaluation.due", own.get("due") or "不适用（承接方已退出）"),
            ("self_evaluation.submitted_on", own.get("submitted_on")),
            ("self_evaluation.score", _decimal(own.get("score"))),
            (None, TIMING.get(own.get("status"), "—")),
            ("final_evaluation.due", final["due"]), ("final_evaluation.done_on", final["done_on"]),
            ("final_evaluation.evaluator", _code("evaluator", final["evaluator"])),
            ("final_evaluation.evaluator_name", final["evaluator_name"]),
            ("final_evaluation.score", _decimal(final["score"])), ("final_evaluation.grade", final["grade"]),
            (None, TIMING[final["status"]])]))
    return _table("evaluations", "核心项目中期自评与期末评估", "项目名称", EVALUATION_COLUMNS, rows)


# -- 监督检查 ----------------------------------------------------------------------------------------

INSPECTION_COLUMNS = (("镇(街道)", TEXT), ("检查方式", TEXT), ("检查主体", TEXT), ("检查内容", TEXT),
                      ("是否发现问题", TEXT), ("整改期限", TEXT), ("整改完成日期", TEXT), ("整改是否逾期", TEXT))


def _supervision(scope: str, section: dict[str, Any], names: dict[str, str]) -> list[Table]:
    counts = [Row(scope, "监督检查次数", (section["inspections"],), ("supervision.inspections",))]
    for group, key, by in (("inspection_kind", "by_kind", "按方式"), ("inspection_scope", "by_scope", "按内容")):
        counts += [Row(scope, f"{by}：{_code(group, code)}", (n,), (f"supervision.{key}.{code}",))
                   for code, n in section[key].items()]
    counts += [Row(scope, f"按主体：{LEVELS[level]}", (n,), (f"supervision.by_level.{level}",))
               for level, n in section["by_level"].items()]
    counts += [Row(scope, text, (section[key],), (f"supervision.{key}",))
               for key, text in (("with_issues", "发现问题次数"), ("rectified", "已整改次数"), ("overdue", "整改逾期次数"))]
    items = [_row(scope, i["occurred_on"], f"supervision.items.{n}", [
        ("town", names.get(i["town"], i["town"])), ("kind", _code("inspection_kind", i["kind"])),
        ("by", LEVELS.get(i["by"], i["by"])), (None, "、".join(_code("inspection_scope", s) for s in i["scopes"])),
        (None, "是" if i["issues_found"] else "否"), ("rectification_due", i["rectification_due"]),
        ("rectified_on", i["rectified_on"]), (None, "是" if i["overdue"] else "否")])
        for n, i in enumerate(section["items"])]
    overdue = [_row(scope, o["inspection"], f"supervision.overdue_rectifications.{n}", [
        ("town", names.get(o["town"], o["town"])), ("occurred_on", o["occurred_on"]),
        ("rectification_due", o["rectification_due"])]) for n, o in enumerate(section["overdue_rectifications"])]
    return [_table("supervision", "监督检查次数", "指标", (("次数", COUNT),), counts),
            _table("inspections", "本期检查明细", "检查日期", INSPECTION_COLUMNS, items),
            _table("overdue_rectifications", "逾期未完成整改（截至报告期末）", "检查记录编号",
                   (("镇(街道)", TEXT), ("检查日期", TEXT), ("整改期限", TEXT)), overdue)]


CITY_SUPERVISION = (("inspections", "监督检查次数"), ("by_kind.supervision", "监督"), ("by_kind.inspection", "检查"),
                    ("by_kind.spot_check", "抽查"), ("by_level.city", "市级"), ("by_level.district", "区级"),
                    ("by_level.town", "镇(街道)级"), ("with_issues", "发现问题"), ("rectified", "已整改"),
                    ("overdue", "整改逾期"))


def _city_supervision(report: Mapping[str, Any]) -> Table:
    """Each district's supervision counted, side by side, and the city's sum."""
    def row(scope: str, name: str, counts: Mapping[str, Any] | None, total: bool = False) -> Row:
        values = tuple(_dig(counts, path) for path, _ in CITY_SUPERVISION)
        return Row(scope, name, values, tuple(None if v is None else f"supervision.{path}"
                                              for (path, _), v in zip(CITY_SUPERVISION, values, strict=True)), total)
    rows = [row(d["district"], d.get("name") or d["district"], d.get("supervision")) for d in report["districts"]]
    rows.append(row("city", "全市合计", report["supervision"], total=True))
    return _table("supervision", "各区监督检查次数", "区", tuple((text, COUNT) for _, text in CITY_SUPERVISION), rows)


def _dig(counts: Mapping[str, Any] | None, path: str) -> int | None:
    if counts is None:
        return None
    head, _, rest = path.partition(".")
    return counts[head][rest] if rest else counts[head]


# -- 站点基本情况表 -------------------------------------------------------------------------------------

ROSTER_COLUMNS = (("依托设施", TEXT), ("站点地址", TEXT), ("建站日期", TEXT), ("标牌文字", TEXT), ("标牌悬挂日期", TEXT),
                  ("站长", COUNT), ("副站长(政府业务科室)", COUNT), ("副站长(承接方)", COUNT), ("工作人员", COUNT),
                  ("已配设备", TEXT), ("缺少设备", TEXT), ("已建制度", TEXT), ("制度上墙数", COUNT), ("未建制度", TEXT))


def _roster(scope: str, roster: list[dict[str, Any]]) -> Table:
    rows = []
    for n, s in enumerate(roster):
        sign, staff = s["signboard"] or {}, s["staff"]
        rows.append(_row(scope, s["name"], f"roster.{n}", [
            ("host_facility", _code("host_facility", s["host_facility"]) or "未建站"), ("address", s["address"]),
            ("established_on", s["established_on"]), ("signboard.text", sign.get("text")),
            ("signboard.hung_on", sign.get("hung_on")),
            *((f"staff.{role}", staff.get(role, 0)) for role in
              ("station_head", "deputy_head_government", "deputy_head_provider", "staff")),
            (None, "、".join(f"{_code('equipment', e['item'])}×{e['quantity']}" if e["quantity"] is not None
                             else _code("equipment", e["item"]) for e in s["equipment"]) or "—"),
            (None, "、".join(_code("equipment", item) for item in s["equipment_missing"]) or "—"),
            (None, "、".join(_code("rule_category", r["category"]) for r in s["rules"]) or "—"),
            ("rules_posted", s["rules_posted"]),
            (None, "、".join(_code("rule_category", c) for c in s["rules_missing"]) or "—")]))
    return _table("roster", "站点基本情况", "镇(街道)", ROSTER_COLUMNS, rows)
