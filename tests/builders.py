"""Valid records as a client would send them, with random ids; override any field."""

import uuid
from typing import Any


def rid(prefix: str = "r") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def station_established(town: str, **fields: Any) -> dict[str, Any]:
    return {"id": rid("st"), "type": "station_established", "town": town,
            "host_facility": "party_mass_service_center", "address": "民族路1号",
            "established_on": "2025-01-10", **fields}


def service_delivered(town: str, **fields: Any) -> dict[str, Any]:
    return {"id": rid("svc"), "type": "service_delivered", "town": town, "occurred_on": "2025-03-18",
            "domain": "elderly_care", "service_type": "visit", "recipient_category": "living_alone_elderly",
            "recipient_ref": rid("R"), "hours": "1.5", **fields}


def project_contracted(town: str, project: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"id": rid("pc"), "type": "project_contracted", "project": project or rid("P"), "town": town,
            "role": "core", "name": "关爱独居老人项目", "purchaser_kind": "district_bureau",
            "provider": {"name": "厦门市某社工服务中心", "kind": "social_organization"},
            "method": "open_tender", "amount": "300000.00", "contract_start": "2025-01-01",
            "contract_end": "2025-12-31",
            "funds": [{"source": "elderly_care", "amount": "200000.00"},
                      {"source": "social_assistance", "amount": "100000.00"}],
            "domains": ["elderly_care", "social_assistance"], **fields}


def fund_spent(project: str, **fields: Any) -> dict[str, Any]:
    return {"id": rid("fs"), "type": "fund_spent", "project": project, "occurred_on": "2025-04-01",
            "source": "elderly_care", "amount": "1250.50", "purpose": "上门探访交通费", **fields}


def record_voided(record: str, **fields: Any) -> dict[str, Any]:
    return {"id": rid("void"), "type": "record_voided", "record": record, "reason": "录入错误", **fields}
