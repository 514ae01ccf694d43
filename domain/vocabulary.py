"""The wire vocabulary: every code the API and the events use, with its Chinese label.

Loaded from the bundled copy of `vocabulary.csv`; each group becomes a `StrEnum`, so a code
outside the vocabulary is rejected wherever a record is parsed.
"""

import csv
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple


class Term(NamedTuple):
    group: str
    code: str
    zh: str
    en: str


def _load_terms() -> tuple[Term, ...]:
    text = (Path(__file__).parent / "data" / "vocabulary.csv").read_text(encoding="utf-8")
    rows = csv.reader(text.splitlines()[1:])
    # The English label is the last column and may hold unquoted commas.
    return tuple(Term(group, code, zh, ",".join(en)) for group, code, zh, *en in rows)


TERMS = _load_terms()
_LABELS = {(t.group, t.code): t for t in TERMS}


def codes(group: str) -> tuple[str, ...]:
    return tuple(t.code for t in TERMS if t.group == group)


def label(group: str, code: str) -> str:
    """The Chinese label people see for a code."""
    return _LABELS[(group, code)].zh


def _enum(name: str, group: str) -> type[StrEnum]:
    members = codes(group)
    if not members:
        raise LookupError(f"vocabulary has no group {group!r}")
    return StrEnum(name, {code: code for code in members}, module=__name__)


ServiceDomain = _enum("ServiceDomain", "service_domain")
FundSource = _enum("FundSource", "fund_source")
ProcurementMethod = _enum("ProcurementMethod", "procurement_method")
PurchaserKind = _enum("PurchaserKind", "purchaser_kind")
ProviderKind = _enum("ProviderKind", "provider_kind")
ProjectRole = _enum("ProjectRole", "project_role")
HostFacility = _enum("HostFacility", "host_facility")
Equipment = _enum("Equipment", "equipment")
StaffRole = _enum("StaffRole", "staff_role")
RuleCategory = _enum("RuleCategory", "rule_category")
InspectionKind = _enum("InspectionKind", "inspection_kind")
InspectionScope = _enum("InspectionScope", "inspection_scope")
Evaluator = _enum("Evaluator", "evaluator")
RecipientCategory = _enum("RecipientCategory", "recipient_category")
ServiceType = _enum("ServiceType", "service_type")
ReportLevel = _enum("ReportLevel", "report_level")
ExitCondition = _enum("ExitCondition", "exit_condition")
TrainingAudience = _enum("TrainingAudience", "training_audience")
FundLevel = _enum("FundLevel", "fund_level")
SignPosition = _enum("SignPosition", "sign_position")
EvaluationFocus = _enum("EvaluationFocus", "evaluation_focus")
VillageKind = _enum("VillageKind", "village_kind")
