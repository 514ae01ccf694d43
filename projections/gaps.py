"""A gap: one requirement of the guide (厦民〔2025〕72号) not met at a report's cutoff, named for people
in Chinese and for machines by a stable code; and the tolerances the judging allows (settings).

Every gap's kind (its code up to the first ':') is a term of the vocabulary's `compliance_gap`
group, with its Chinese label. A gap that comes from a record stored before the rule it breaks
existed (the record could not have said what is missing) says so.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

BEFORE_RULES_ZH = "（该记录录入于此项要求实施之前，请补录）"
BEFORE_RULES_EN = " (recorded before this requirement existed: record it again)"


@dataclass(frozen=True)
class Gap:
    code: str  # stable, for machines: "equipment_missing:computer", "rectification_overdue:<record id>"...
    zh: str    # what a district officer reads
    en: str
    before_rules: bool = False  # from a record stored before the rule it breaks existed

    @property
    def kind(self) -> str:
        return self.code.split(":", 1)[0]


@dataclass(frozen=True)
class Rules:
    """How the judging of evaluations bends (settings `STATIONS_EVALUATION_TOLERANCE_DAYS` and
    `STATIONS_FINAL_EVALUATION_GRACE_DAYS`)."""

    evaluation_tolerance_days: int = 30  # how far outside its contract year an evaluation may be dated
    final_evaluation_grace_days: int = 30  # days after a contract year's end to do its final evaluation


def described(gaps: Iterable[Gap]) -> dict[str, Any]:
    """Gaps as a report shows them: compliant or not, each gap's Chinese text and code, and in
    full (English, and whether it comes from a record stored before its rule)."""
    gaps = list(gaps)
    return {"compliant": not gaps,
            "gaps": [g.zh + (BEFORE_RULES_ZH if g.before_rules else "") for g in gaps],
            "gap_codes": [g.code for g in gaps],
            "gap_details": [{"code": g.code, "kind": g.kind, "zh": g.zh, "en": g.en + (BEFORE_RULES_EN if g.before_rules else ""),
                             "before_rules": g.before_rules} for g in gaps]}
