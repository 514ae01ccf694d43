"""The report tables' rows of a town as the compliance check's facts (`compliance.py`), and the
projects a town has: its own, and those the district bought for several towns that cover it."""

from collections.abc import Mapping
from typing import Any

import asyncpg
import orjson

from projections.compliance import InspectionFact, StationFact
from projections.evaluation_rules import EvaluationFact, ProjectFact
from projections.projector import SHARED_TOWN
from projections.report_rows import Rows


def projects_of(rows: Rows, town: str) -> list[asyncpg.Record]:
    """The town's projects, and the shared ones covering it (`projects.towns` names their towns)."""
    return [*rows.of_town("projects", town),
            *(p for p in rows.of_town("projects", SHARED_TOWN) if town in orjson.loads(p["towns"]))]


def station_facts(rows: Rows, town: str) -> list[StationFact]:
    return [StationFact(f["kind"], f["key"], f["on_date"], f["detail"], _json(f["attributes"]), f["before_rules"])
            for f in rows.of_town("facts", town)]


def project_facts(projects: list[asyncpg.Record]) -> list[ProjectFact]:
    return [ProjectFact(p["project"], p["role"], p["contract_start"], p["contract_end"], p["exited_on"],
                        p["credit_code"], tuple(_json(p["key_recipients"]) or ()), p["before_rules"], p["name"])
            for p in projects]


def evaluation_facts(rows: Rows, projects: list[asyncpg.Record]) -> list[EvaluationFact]:
    return [EvaluationFact(e["project"], e["kind"], e["contract_year"], e["on_date"],
                           tuple(f["area"] for f in _json(e["focus"]) or ()), e["before_rules"])
            for p in projects for e in rows.having("evaluations", "project", p["project"])]


def inspection_facts(rows: Rows, town: str) -> list[InspectionFact]:
    return as_inspection_facts(rows.of_town("inspections", town))


def as_inspection_facts(inspections: list[Mapping[str, Any]]) -> list[InspectionFact]:
    """Rows of the `inspections` table (or made from an inspection's replayed events: `states.py`), as facts."""
    return [InspectionFact(i["record_id"], i["issues_found"], i["rectification_due"], i["rectified_on"],
                           i["occurred_on"])
            for i in inspections]


def _json(value: str | None) -> Any:
    """A jsonb column's value, as asyncpg hands it over (its text)."""
    return orjson.loads(value) if value is not None else None
