"""The guide's section 四 (职责分工) as a sheet of its own, 职责履行情况: the year's purchase plan and its
filing, planned against contracted by fund line, provider exits, the district's duties not met, the
linked projects' collected figures, training and the open problems (issue 32, item 5). Every value
is the report's own, keyed by its JSON path, so the CSV carries it too."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from domain.vocabulary import label
from exports.model import Column, Kind, Row, Table

COUNT, MONEY, TEXT = Kind.count, Kind.money, Kind.text
SHEET = "职责履行情况"


def duty_tables(scope: str, report: Mapping[str, Any], names: dict[str, str]) -> list[Table]:
    """The tables of a town's or a district's report that has its duties' sections (else none)."""
    if "plan" not in report:
        return []
    plan = report["plan"]
    status = [Row(scope, text, (value,), (key if value not in (None, "—") else None,)) for key, text, value in (
        ("plan.status_label", "计划状态", plan["status_label"]), ("plan.version", "当前版本", _text(plan["version"])),
        ("plan.filed_version", "已备案版本", _text(plan["filed_version"])), ("plan.filed_at", "备案时间", plan["filed_at"] or "—"),
        ("plan.returned_reason", "退回原因", plan["returned_reason"] or "—"))]
    sources = [Row(scope, _code("fund_source", source), (Decimal(amount), Decimal(plan["contracted_by_source"][source])),
                   (f"plan.planned_by_source.{source}", f"plan.contracted_by_source.{source}"))
               for source, amount in plan["planned_by_source"].items()]
    sources.append(Row(scope, "合计", (Decimal(plan["planned_amount"]), Decimal(plan["contracted_amount"])),
                       ("plan.planned_amount", "plan.contracted_amount"), total=True))
    exits = [Row(scope, e["name"], (names.get(e["town"], e["town"]), e["exited_on"], e["condition_label"], e["reason"],
                                    e["successor_project"] or "—"),
                 tuple(f"provider_exits.{n}.{k}" if k else None for k in ("town", "exited_on", None, "reason", None)))
             for n, e in enumerate(report.get("provider_exits", []))]
    gaps = report.get("duty_compliance", {}).get("gaps", [])
    duties = [Row(scope, str(n + 1), (gap,), (f"duty_compliance.gaps.{n}",)) for n, gap in enumerate(gaps)] or \
        [Row(scope, "—", ("各项职责均已履行",), (None,))]
    linked = report["linked_projects"]
    cells = [("合计", "collected", linked["collected"])] + [
        (_code("service_domain", d), f"by_domain.{d}", cell) for d, cell in linked["by_domain"].items() if cell["projects"]]
    linked_rows = [Row(scope, text, (cell["projects"], cell["people_served"], cell["person_times"], Decimal(cell["amount"])),
                       tuple(f"linked_projects.{path}.{k}" for k in ("projects", "people_served", "person_times", "amount")),
                       total=path == "collected") for text, path, cell in cells]
    training = report["training"]
    trained = [Row(scope, text, (value,), (key,), kinds=(COUNT,)) for key, text, value in (
        ("training.sessions", "参加培训场次", training["sessions"]), ("training.attendees", "参训人次", training["attendees"]),
        ("progress_notes", "承接方进展报告（份）", report.get("progress_notes", 0)))]
    trained += [Row(scope, "未参训站点", ("、".join(s["name"] for s in training["untrained_stations"]) or "无",), (None,),
                    kinds=(TEXT,))]
    problems = [Row(scope, p["raised_on"], (names.get(p["town"], p["town"]), p["description"]),
                    (f"open_problems.{n}.town", f"open_problems.{n}.description"))
                for n, p in enumerate(report.get("open_problems", []))]
    return [
        Table("plan", f"{plan['year']}年度购买计划及备案", "项目", (Column("情况", TEXT),), tuple(status)),
        Table("plan_sources", "计划与合同（按资金来源，合同按本年度分摊）", "资金来源",
              (Column("计划金额（元）", MONEY), Column("合同金额（元）", MONEY)), tuple(sources)),
        Table("provider_exits", "承接方退出", "项目", tuple(Column(t, TEXT) for t in (
            "镇(街道)", "退出日期", "退出情形", "原因", "接续项目")), tuple(exits) or (_none(scope, 5),)),
        Table("duty_compliance", "职责履行差距（计划备案、评估安排、退出机制、应急预案、资金保障等）", "序号",
              (Column("差距", TEXT),), tuple(duties)),
        Table("linked_projects", f"对接项目（N）汇总（已签对接项目 {linked['contracted_linked_projects']} 个）", "服务领域",
              (Column("项目数", COUNT), Column("服务人数", COUNT), Column("服务人次", COUNT), Column("金额（元）", MONEY)),
              tuple(linked_rows)),
        Table("training", f"{training['year']}年度培训与进展报告", "指标", (Column("数值", COUNT),), tuple(trained)),
        Table("open_problems", "待解决的困难和问题", "提出日期", (Column("镇(街道)", TEXT), Column("问题", TEXT)),
              tuple(problems) or (_none(scope, 2),)),
    ]


def _none(scope: str, width: int) -> Row:
    return Row(scope, "无", (None,) * width, (None,) * width)


def _text(value: Any) -> str:
    return "—" if value is None else str(value)


def _code(group: str, code: str) -> str:
    try:
        return label(group, code)
    except KeyError:
        return code
