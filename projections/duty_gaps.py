"""The district's duties, and its towns' stations', as gaps of the district's report (guide, 四).

The district bureau makes the year's purchase plan with its exit mechanism and emergency plan and
has it filed by the city, and secures the funds with the finance bureau (四(二)); each station's
provider collects the figures of its town's linked projects and reports its progress (四(四)); the
city trains every station's people each year (四(一)). Each duty not done is a gap with a stable
code, judged as the rest of the report is, at its cutoff:

- the plan filed by then (the city's act, on the day it was recorded), an emergency plan dated by
  then and exit conditions in the plan as drafted or filed,
  funds secured by then and covering the contracts in force (their share of the year);
- a half year's progress note, once the half year is over; the year's training, once it is over;
- a linked project's figures for the half year, once the town's report is due (the period's end
  and `Deadlines.town_days`): figures are collected after the half year, judged on the report's day.

Pure once its rows are loaded, like the report's other sections.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from domain.vocabulary import label
from projections.duties_report import DutyRows, allocated_lines, contracted_lines, effective_end
from projections.gaps import Gap
from kernel.clock import CST


@dataclass(frozen=True)
class Judged:
    """What a report's duties are judged against."""

    year: int
    start: date  # the half year's
    end: date
    cutoff: date
    today: date
    linked_due: date  # the day a half year's linked figures are due: the town's report deadline


def duty_gaps(judged: Judged, rows: DutyRows, projects: list[asyncpg.Record], stations: list[tuple[str, str]],
              town: str | None) -> list[Gap]:
    """The district's own gaps (in the district's report) and those of each town with a station."""
    gaps: list[Gap] = []
    if town is None:
        gaps += [*_plan(judged, rows.plan), *_funding(judged, rows.allocations, projects)]
    for code, name in stations:
        if town is None or code == town:
            gaps += [*_linked(judged, rows.linked, projects, code, name), *_progress(judged, rows.notes, code, name),
                     *_training(judged, rows.training, code, name)]
    return gaps


def _day(moment: Any) -> date | None:
    return moment.astimezone(CST).date() if moment is not None else None


def _plan(judged: Judged, plan: asyncpg.Record | None) -> Iterator[Gap]:
    year, cutoff = judged.year, judged.cutoff
    filed_on = _day(plan["filed_at"]) if plan else None
    if filed_on is None or filed_on > cutoff:
        status = label("plan_status", plan["status"]) if plan else "未编制"
        yield Gap(f"plan_not_filed:{year}", f"{year}年度购买计划截至{cutoff.isoformat()}未经市民政局备案（现状：{status}）",
                  f"the {year} purchase plan was not filed by the city by {cutoff.isoformat()}")
    # The plan's documents, as filed or as last drafted (a draft is the district's own act, whenever
    # it was typed in): an emergency plan counts from the day it is dated.
    contents = [json.loads(text) for text in (plan["content"], plan["filed_content"]) if text] if plan else []
    if not any(date.fromisoformat(c["emergency_plan"]["dated_on"]) <= cutoff for c in contents):
        yield Gap(f"emergency_plan_missing:{year}", f"截至{cutoff.isoformat()}未制定{year}年度应急预案",
                  f"no emergency plan for {year} by {cutoff.isoformat()}")
    if not any(c["exit_conditions"] for c in contents):
        yield Gap(f"exit_conditions_missing:{year}", f"截至{cutoff.isoformat()}未制定{year}年度退出机制",
                  f"no exit mechanism for {year} by {cutoff.isoformat()}")


def _funding(judged: Judged, allocations: list[asyncpg.Record], projects: list[asyncpg.Record]) -> Iterator[Gap]:
    year, cutoff = judged.year, judged.cutoff
    allocated = allocated_lines(allocations, cutoff)
    if not allocated:
        yield Gap(f"funding_not_allocated:{year}", f"截至{cutoff.isoformat()}未落实{year}年度资金保障",
                  f"no funds secured for {year} by {cutoff.isoformat()}")
        return
    for (source, level), amount in sorted(contracted_lines(year, cutoff, projects).items()):
        secured = allocated.get((source, level), 0)
        if amount > secured:
            yield Gap(f"funding_short:{year}:{source}:{level}",
                      f"{label('fund_source', source)}（{label('fund_level', level)}）资金：{year}年度在履行合同"
                      f"{amount}元，已落实{secured}元",
                      f"{source} ({level}): contracts in force take {amount} yuan of {year}, {secured} secured")


def _linked(judged: Judged, linked: list[asyncpg.Record], projects: list[asyncpg.Record], town: str,
            name: str) -> Iterator[Gap]:
    if judged.today <= judged.linked_due:
        return
    collected = {r["project"] for r in linked if r["town"] == town and r["project"] and r["collected_on"] <= judged.today}
    for p in projects:
        covers = p["town"] == town or (p["towns"] is not None and town in json.loads(p["towns"]))
        running = p["contract_start"] <= judged.end and effective_end(p) >= judged.start
        if p["role"] == "linked" and covers and running and p["project"] not in collected:
            yield Gap(f"linked_figures_missing:{p['project']}:{town}",
                      f"{name}：对接项目{p['project']}（{p['name']}）本半年度数据未采集",
                      f"{town}: the half year's figures of linked project {p['project']} were not collected")


def _progress(judged: Judged, notes: list[asyncpg.Record], town: str, name: str) -> Iterator[Gap]:
    if judged.cutoff < judged.end:
        return  # the half year is not over
    if not any(n["town"] == town and judged.start <= n["reported_on"] <= judged.cutoff for n in notes):
        yield Gap(f"progress_report_missing:{town}", f"{name}：承接方本半年度未向镇(街道)报告工作进展",
                  f"{town}: the provider reported no progress to the town in the half year")


def _training(judged: Judged, training: list[asyncpg.Record], town: str, name: str) -> Iterator[Gap]:
    if judged.cutoff < date(judged.year, 12, 31):
        return  # the year is not over
    if not any(t["town"] == town and t["held_on"] <= judged.cutoff and t["attendees"] for t in training):
        yield Gap(f"training_missing:{town}", f"{name}：站点人员{judged.year}年度未参加市民政局培训",
                  f"{town}: nobody of the station was trained by the city in {judged.year}")
