"""A report, as the API returns it, laid out as `Sheet`s: one per report, and for the city one
for the city total with its districts side by side, then one per district.

Every figure is taken from the report as it is; the only values derived here are the budget
columns (`exports.budget`).
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.vocabulary import label
from exports import budget
from exports.model import Column, Fact, Kind, Row, Sheet, Table, Value, cst_text, period_zh
from exports.section_sheets import section_sheets

COUNT, HOURS, MONEY, RATIO, TEXT = Kind.count, Kind.hours, Kind.money, Kind.ratio, Kind.text

OVERVIEW = (("person_times", "服务人次", COUNT), ("recipients", "服务对象人数", COUNT),
            ("service_hours", "服务时长（小时）", HOURS), ("funds_spent", "资金支出（元）", MONEY),
            ("inspections", "监督检查次数", COUNT), ("open_rectifications", "未完成整改数", COUNT),
            ("stations", "已建服务站数", COUNT), ("stations_compliant", "达标服务站数", COUNT),
            ("projects.core", "核心项目数", COUNT), ("projects.linked", "对接项目数", COUNT))
DIMENSIONS = (("by_domain", "按服务领域", "服务领域", "service_domain"),
              ("by_recipient_category", "按服务对象类别", "服务对象类别", "recipient_category"),
              ("by_service_type", "按服务类型", "服务类型", "service_type"))
MEASURES = (("person_times", "服务人次", COUNT), ("recipients", "服务对象人数", COUNT),
            ("hours", "服务时长（小时）", HOURS))
TOTALS = {"person_times": "person_times", "recipients": "recipients", "hours": "service_hours"}
TIMELINESS = {"on_time": "按时报送", "late": "逾期报送", "overdue": "逾期未报", "pending": "待报送"}
NUMERALS = "一二三四五六七八九十"
# The figures' checkpoint: what an auditor checks the workbook against, no figure of the report.
AUDIT_VALUE = "数据校验值（审计用）"
DEADLINE_SOURCE = ("本系统设置（STATIONS_TOWN_REPORT_DEADLINE_DAYS、STATIONS_DISTRICT_REPORT_DEADLINE_DAYS：半年结束后"
                   "天数）；厦民〔2025〕72号只要求每半年报告，未规定报送期限")
CITY, CITY_NAME = "city", "厦门市"


def sheets(report: Mapping[str, Any], *, generated_at: datetime, district_name: str | None = None) -> list[Sheet]:
    """The report's sheets. `district_name` names a town report's district (its JSON has the code
    only); a city report's districts may each carry their district report's `projects_detail`,
    for the budget columns, which are left empty without it."""
    stamp = cst_text(generated_at)
    if report["level"] == "city":
        found = _city(report, stamp)
    else:
        found = [_town(report, stamp, district_name) if report["level"] == "town" else _district(report, stamp)]
    return [*found, *section_sheets(report, found[0])]


def title(organisation: str, period: str, level: str) -> str:
    """`××区××街道民政服务站2025年上半年工作情况` for a town's station; a district's or the city's
    report covers its towns' stations (`××区镇(街道)民政服务站…`): no station is a district's."""
    return f"{organisation}{'' if level == 'town' else '镇(街道)'}民政服务站{period_zh(period)}工作情况"


def organisation(report: Mapping[str, Any], district_name: str | None = None) -> str:
    if report["level"] == "city":
        return CITY_NAME
    if report["level"] == "town":
        return f"{district_name or ''}{report.get('name') or report['town']}"
    return report.get("name") or report["district"]


# -- the sheets ----------------------------------------------------------------------------------

def _district(report: Mapping[str, Any], stamp: str) -> Sheet:
    code, name, period = report["district"], organisation(report), report["period"]
    detail = report.get("projects_detail")
    towns = report.get("towns", [])
    tables = [*_figure_tables(code, report["figures"], budget.of(detail, period)),
              _towns_table(report, towns, detail),
              _compliance_table(towns)]
    return Sheet(name, code, title(name, period, "district"), _heading(report, name), _notes(report, "镇(街道)"),
                 _numbered(tables), _footer(report, stamp))


def _town(report: Mapping[str, Any], stamp: str, district_name: str | None) -> Sheet:
    code, name, period = report["town"], organisation(report, district_name), report["period"]
    tables = [*_figure_tables(code, report["figures"], budget.of(report.get("projects_detail"), period)),
              _compliance_table([report])]
    return Sheet(report.get("name") or code, code, title(name, period, "town"), _heading(report, name),
                 _notes(report, None), _numbered(tables), _footer(report, stamp))


def _city(report: Mapping[str, Any], stamp: str) -> list[Sheet]:
    period, districts = report["period"], report.get("districts", [])
    budgets = [budget.of(d.get("projects_detail"), period) for d in districts]
    tables = [*_figure_tables(CITY, report["figures"], budget.total(budgets)), _districts_table(report, budgets)]
    city = Sheet("全市汇总", CITY, title(CITY_NAME, period, "city"), _heading(report, CITY_NAME), _notes(report, "区"),
                 _numbered(tables), (_generated(stamp),))
    found = [city]
    for part, lines in zip(districts, budgets, strict=True):
        name = part.get("name") or part["district"]
        if any(s.name == name for s in found):
            name = f"{name}{part['district']}"
        found.append(Sheet(name, part["district"], title(name, period, "district"), _heading({**part, "period": period}, name),
                           _notes(part, "镇(街道)"),
                           _numbered(_figure_tables(part["district"], part["figures"], lines)),
                           _footer(part, stamp)))
    return found


# -- above and below the tables ---------------------------------------------------------------

def _heading(report: Mapping[str, Any], name: str) -> tuple[Fact, ...]:
    return (Fact("organisation", "单位", name), Fact("period", "报告期", period_zh(report["period"])),
            Fact("status", "状态", _status(report.get("status"))))


def _notes(report: Mapping[str, Any], below: str | None) -> tuple[Fact, ...]:
    notes = []
    if report.get("version"):
        frozen = report.get("frozen_at")
        kind = "已报送版本" if report["version"] == "submitted" else "已审核版本"
        notes.append(Fact("version", "数据版本", f"{kind}（{_moment(frozen)}冻结）" if frozen else kind))
        notes.append(Fact("adjustments", "冻结后新增记录（条）", len(report.get("adjustments") or ()), COUNT))
    elif report.get("as_of"):
        as_of = report["as_of"]
        position = f"，日志位置 {as_of['position']}" if "position" in as_of else ""
        notes.append(Fact("as_of", "数据版本", f"截至 {_moment(as_of['moment'])} 的记录{position}"))
    else:
        notes.append(Fact("version", "数据版本", "实时数据"))
    if timeliness := report.get("timeliness"):
        state = TIMELINESS.get(timeliness["state"], timeliness["state"])
        submitted = f"，{timeliness['submitted_on']} 报送" if timeliness.get("submitted_on") else ""
        notes.append(Fact("timeliness", "报送期限", f"{timeliness['deadline']}（{state}{submitted}）"))
        notes.append(Fact("deadline_source", "报送期限依据", DEADLINE_SOURCE))
    if below and (done := report.get("completeness")):
        notes.append(Fact("completeness", f"{below}报送情况",
                          f"应报 {done['expected']}，已报送 {done['submitted']}，已审核 {done['approved']}，"
                          f"退回 {done['returned']}，逾期 {done['late']}"))
    return tuple(notes)


def _footer(report: Mapping[str, Any], stamp: str) -> tuple[Fact, ...]:
    checkpoint = report.get("checkpoint") or {}
    return (Fact("checkpoint.position", f"{AUDIT_VALUE}：检查点位置", checkpoint.get("position"), COUNT),
            Fact("checkpoint.chain_head", f"{AUDIT_VALUE}：链头", checkpoint.get("chain_head") or "—"),
            _generated(stamp))


def _generated(stamp: str) -> Fact:
    return Fact("generated_at", "生成时间", stamp)


def _moment(text: str) -> str:
    return cst_text(datetime.fromisoformat(text))


def _status(code: str | None) -> str:
    return label("report_status", code or "draft")


# -- the tables ---------------------------------------------------------------------------------

def _numbered(tables: Iterable[Table]) -> tuple[Table, ...]:
    return tuple(Table(t.section, f"{NUMERALS[n]}、{t.title}", t.header, t.columns, t.rows)
                 for n, t in enumerate(tables))


def dig(data: Any, path: str) -> Any:
    """The value at a dotted path of a JSON value (`compliance.gaps.0`)."""
    for part in path.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def typed(raw: Any, kind: Kind) -> Value:
    """A JSON value as the cell holds it: decimal strings become Decimals, exactly."""
    if raw is None:
        return None
    return Decimal(raw) if kind in (HOURS, MONEY) else raw


def _figure_tables(scope: str, figures: Mapping[str, Any], lines: budget.Lines) -> list[Table]:
    overview = Table("overview", "总体情况", "指标", (Column("数值", COUNT),), tuple(
        Row(scope, text, (typed(dig(figures, path), kind),), (f"figures.{path}",), kinds=(kind,))
        for path, text, kind in OVERVIEW))
    return [overview, *(_dimension_table(scope, figures, *d) for d in DIMENSIONS), _funds_table(scope, figures, lines)]


def _dimension_table(scope: str, figures: Mapping[str, Any], section: str, text: str, header: str,
                     group: str) -> Table:
    rows = [Row(scope, _label(group, code), tuple(typed(cell[m], kind) for m, _, kind in MEASURES),
                tuple(f"figures.{section}.{code}.{m}" for m, _, _ in MEASURES))
            for code, cell in figures[section].items()]
    rows.append(Row(scope, "合计", tuple(typed(figures[TOTALS[m]], kind) for m, _, kind in MEASURES),
                    tuple(f"figures.{TOTALS[m]}" for m, _, _ in MEASURES), total=True))
    return Table(section, text, header, tuple(Column(t, kind) for _, t, kind in MEASURES), tuple(rows))


FUND_COLUMNS = (Column("合同预算（元）", MONEY), Column("本期支出（元）", MONEY), Column("累计支出（元）", MONEY),
                Column("预算余额（元）", MONEY), Column("执行率", RATIO))


def _funds_table(scope: str, figures: Mapping[str, Any], lines: budget.Lines) -> Table:
    rows = [Row(scope, _label("fund_source", source),
                (lines.budget(source), Decimal(spent), lines.to_date(source), lines.balance(source),
                 lines.execution(source)),
                (f"derived.budget.{source}", f"figures.funds_by_source.{source}", f"derived.spent_to_date.{source}",
                 f"derived.balance.{source}", f"derived.execution.{source}"))
            for source, spent in figures["funds_by_source"].items()]
    rows.append(Row(scope, "合计", (lines.budget(), Decimal(figures["funds_spent"]), lines.to_date(),
                                  lines.balance(), lines.execution()),
                    ("derived.budget", "figures.funds_spent", "derived.spent_to_date", "derived.balance",
                     "derived.execution"), total=True))
    return Table("funds", "资金使用（按资金来源，对照合同预算）", "资金来源", FUND_COLUMNS, tuple(rows))


def _unit_columns(*extra: tuple[str, str, Kind]) -> tuple[tuple[str, str, Kind], ...]:
    return (("status", "状态", TEXT), ("timeliness.state", "报送情况", TEXT),
            ("figures.person_times", "服务人次", COUNT), ("figures.recipients", "服务对象人数", COUNT),
            ("figures.service_hours", "服务时长（小时）", HOURS), ("figures.funds_spent", "资金支出（元）", MONEY),
            ("derived.budget", "合同预算（元）", MONEY), ("figures.inspections", "监督检查次数", COUNT),
            ("figures.open_rectifications", "未完成整改数", COUNT), ("figures.projects.core", "核心项目数", COUNT),
            ("figures.projects.linked", "对接项目数", COUNT), *extra)


def _unit_row(scope: str, name: str, part: Mapping[str, Any], columns: tuple[tuple[str, str, Kind], ...],
              lines: budget.Lines, total: bool = False) -> Row:
    values: list[Value] = []
    for path, _, kind in columns:
        if path == "derived.budget":
            values.append(lines.budget())
        elif path == "status":
            values.append(None if total else _status(part.get("status")))
        elif path == "timeliness.state":
            values.append(None if total else TIMELINESS.get(part["timeliness"]["state"]))
        elif path == "compliance.compliant":
            values.append(None if total else ("是" if part["compliance"]["compliant"] else "否"))
        else:
            values.append(typed(dig(part, path), kind))
    return Row(scope, name, tuple(values), tuple(None if total and v is None else p
                                                 for (p, _, _), v in zip(columns, values, strict=True)), total)


def _towns_table(report: Mapping[str, Any], towns: list[Mapping[str, Any]], detail: Any) -> Table:
    columns = _unit_columns(("compliance.compliant", "是否达标", TEXT))
    rows = [_unit_row(t["town"], t["name"], t, columns, budget.of(detail, report["period"], t["town"]))
            for t in towns]
    rows.append(_unit_row(report["district"], "全区合计", report, columns,
                          budget.of(detail, report["period"]), total=True))
    return Table("towns", "各镇(街道)情况", "镇(街道)", tuple(Column(t, k) for _, t, k in columns), tuple(rows))


def _districts_table(report: Mapping[str, Any], budgets: list[budget.Lines]) -> Table:
    columns = _unit_columns(("figures.stations", "已建服务站数", COUNT),
                            ("figures.stations_compliant", "达标服务站数", COUNT),
                            ("checkpoint.position", "检查点位置", COUNT))
    rows = [_unit_row(d["district"], d.get("name") or d["district"], d, columns, lines)
            for d, lines in zip(report.get("districts", []), budgets, strict=True)]
    rows.append(_unit_row(CITY, "全市合计", {**report, "checkpoint": {"position": None}},
                          columns, budget.total(budgets), total=True))
    return Table("districts", "各区情况", "区", tuple(Column(t, k) for _, t, k in columns), tuple(rows))


def _compliance_table(towns: list[Mapping[str, Any]]) -> Table:
    rows = []
    for town in towns:
        assessed, code, name = town["compliance"], town["town"], town["name"]
        verdict = "是" if assessed["compliant"] else "否"
        gaps = assessed["gaps"] or ["—"]
        for n, gap in enumerate(gaps):
            rows.append(Row(code, name, (verdict if n == 0 else None, gap),
                            ("compliance.compliant" if n == 0 else None,
                             f"compliance.gaps.{n}" if assessed["gaps"] else None), continued=n > 0))
    return Table("compliance", "达标情况", "镇(街道)", (Column("是否达标", TEXT), Column("问题", TEXT)), tuple(rows))


def _label(group: str, code: str) -> str:
    try:
        return label(group, code)
    except KeyError:  # a code a later vocabulary dropped still shows, as its code
        return code
