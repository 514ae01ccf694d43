"""Valid records as a client would send them, with random ids; override any field."""

import base64
import uuid
from typing import Any


def rid(prefix: str = "r") -> str:
    """Twelve random characters of base 32 (digits 2-7 only): no run of them is a mobile or ID
    number, which a reference to a person may not hold (hex could spell one by chance)."""
    return f"{prefix}-{base64.b32encode(uuid.uuid4().bytes).decode()[:12].lower()}"


def station_established(town: str, **fields: Any) -> dict[str, Any]:
    return {"id": rid("st"), "type": "station_established", "town": town,
            "host_facility": "party_mass_service_center", "address": "民族路1号",
            "established_on": "2025-01-10", **fields}


def service_delivered(town: str, **fields: Any) -> dict[str, Any]:
    return {"id": rid("svc"), "type": "service_delivered", "town": town, "occurred_on": "2025-03-18",
            "domain": "elderly_care", "service_type": "visit", "recipient_category": "living_alone_elderly",
            "recipient_ref": rid("R"), "hours": "1.5", **fields}


def project_contracted(town: str | None, project: str | None = None, **fields: Any) -> dict[str, Any]:
    """A contract as the guide wants it: a core one names its key recipients."""
    key_recipients = {"key_recipients": ["living_alone_elderly"]} if fields.get("role", "core") == "core" else {}
    return {"id": rid("pc"), "type": "project_contracted", "project": project or rid("P"), "town": town,
            "role": "core", "name": "关爱独居老人项目", "purchaser_kind": "district_bureau",
            "provider": {"name": "厦门市某社工服务中心", "kind": "social_organization", "credit_code": "523502004JURQ283F9"},
            "method": "open_tender", "amount": "300000.00", "contract_start": "2025-01-01",
            "contract_end": "2025-12-31",
            "funds": [{"source": "elderly_care", "amount": "200000.00"},
                      {"source": "social_assistance", "amount": "100000.00"}],
            "domains": ["elderly_care", "social_assistance"], **key_recipients, **fields}


def fund_spent(project: str, **fields: Any) -> dict[str, Any]:
    return {"id": rid("fs"), "type": "fund_spent", "project": project, "occurred_on": "2025-04-01",
            "source": "elderly_care", "amount": "1250.50", "purpose": "上门探访交通费", **fields}


def record_voided(record: str, **fields: Any) -> dict[str, Any]:
    return {"id": rid("void"), "type": "record_voided", "record": record, "reason": "录入错误", **fields}


def inspection_done(town: str, **fields: Any) -> dict[str, Any]:
    return {"id": rid("insp"), "type": "inspection_done", "town": town, "occurred_on": "2025-04-10",
            "kind": "spot_check", "scopes": ["execution", "funds"], "by": "district",
            "findings": "台账不全", "issues_found": True, "rectification_due": "2025-05-10", **fields}


def compliant_station(town: str, sign: str, on: str = "2025-01-10") -> list[dict[str, Any]]:
    """Every record a station needs to be compliant, except its core project."""
    records = [station_established(town, established_on=on),
               {"id": rid("sg"), "type": "signboard_hung", "town": town, "text": sign, "hung_on": on, "emblem": True,
                "position": "outside_prominent", "uniform_style": True}]
    records += [{"id": rid("eq"), "type": "equipment_recorded", "town": town, "item": item, "quantity": 1,
                 "recorded_on": on}
                for item in ("desks_chairs", "data_cabinet", "archive_cabinet", "computer", "printer_copier",
                             "service_equipment")]
    records += [{"id": rid("sa"), "type": "staff_assigned", "town": town, "person_ref": rid("S"), "role": role,
                 "assigned_on": on}
                for role in ("station_head", "deputy_head_government", "deputy_head_provider", "staff", "staff")]
    records += [{"id": rid("ru"), "type": "rules_adopted", "town": town, "category": category,
                 "posted_on_wall": True, "adopted_on": on}
                for category in ("organization", "administration", "venue", "service", "volunteer", "archive")]
    return records


def training_held(town: str, **fields: Any) -> dict[str, Any]:
    """The city's record of a training session its town's people attended."""
    return {"id": rid("tr"), "type": "training_held", "held_on": "2025-03-12", "topic": "民政服务站运营规范",
            "audiences": ["station_staff", "project_staff"], "attendance": [{"town": town, "attendees": 2}], **fields}


def planned(project: str, town: str, **fields: Any) -> dict[str, Any]:
    return {"project": project, "town": town, "role": "core", "name": "关爱独居老人项目", "domains": ["elderly_care"],
            "amount": "300000.00", "funds": [{"source": "elderly_care", "amount": "200000.00"},
                                             {"source": "social_assistance", "amount": "100000.00"}],
            "purchaser_kind": "district_bureau", "method": "open_tender", "self_evaluation_on": "2025-06-30",
            "final_evaluation_on": "2025-12-20", "evaluator": "third_party", **fields}


def plan_record(*items: dict[str, Any], year: int = 2025) -> dict[str, Any]:
    return {"id": rid("plan"), "type": "purchase_plan_drafted", "year": year, "projects": list(items),
            "exit_conditions": [{"condition": "evaluation_failed", "description": "期末评估不合格的，更换承接方"},
                                {"condition": "provider_withdrew", "description": "承接方主动退出的，启用应急预案"}],
            "emergency_plan": {"document": "区民政局民政服务站应急预案（2025）", "dated_on": "2025-01-05"}}
