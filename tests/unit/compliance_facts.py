"""The compliance tests' builders: a compliant station's facts, its core project as the guide
wants it recorded, and the gaps an assessment names. Not a test module."""

from datetime import date

from domain.vocabulary import codes
from projections.compliance import InspectionFact, StationFact, assess
from projections.evaluation_rules import EvaluationFact, ProjectFact, contract_years, midyear
from projections.gaps import Rules

SIGN = "思明区厦港街道民政服务站"
CUTOFF = date(2025, 6, 30)
EARLY = date(2024, 1, 10)  # every fact of the compliant station is dated this day
DEFAULTS = Rules()  # the settings' defaults: 30 days' tolerance, 30 days' grace

def fact(kind, key=None, on=EARLY, detail=None, attributes=None, before_rules=False):
    return StationFact(kind, key, on, detail, attributes or {}, before_rules)


# The sign the guide asks for: the emblem, the uniform style, hung outside where it is seen.
GUIDE_SIGN = {"emblem": True, "position": "outside_prominent", "uniform_style": True}


def sign(on=EARLY, detail=SIGN, **attributes):
    return fact("signboard", on=on, detail=detail, attributes={**GUIDE_SIGN, **attributes})


def assigned(person, role, on=EARLY):
    return fact("staff_assigned", person, on, role)


def released(person, on):
    return fact("staff_released", person, on)


def station(*extra, drop=()):
    """A compliant station's facts, less those whose (kind, key) is in `drop`, plus `extra`."""
    facts = [
        fact("established"),
        sign(),
        *(fact("equipment", item) for item in codes("equipment")),
        assigned("S-head", "station_head"),
        assigned("S-gov", "deputy_head_government"),
        assigned("S-prov", "deputy_head_provider"),
        assigned("S-1", "staff"),
        assigned("S-2", "staff"),
        *(fact("rules", category) for category in codes("rule_category")),
    ]
    return [f for f in facts if (f.kind, f.key) not in drop] + list(extra)


CODE = "523502004JURQ283F9"
FOCUS = ("service_effect", "station_operation")


def core(project, start, end, **kw):
    """A core project as the guide wants it recorded: its provider's credit code, its key recipients."""
    return ProjectFact(project, "core", start, end, **{"credit_code": CODE, "key_recipients": ("orphan",), **kw})


def evaluated(project, kind, year, on=None, focus=FOCUS):
    """An evaluation of a contract year, dated when due (the middle of the year, or its last day)."""
    if on is None:
        _, start, end = next(y for y in contract_years(project) if y[0] == year)
        on = midyear(start, end) if kind == "self" else end
    return EvaluationFact(project.project, kind, year, on, focus if kind == "final" else ())


# A two-year core contract; year 1 is fully evaluated, year 2's self-evaluation is due 2025-07-02.
CORE = core("P-1", date(2024, 1, 1), date(2025, 12, 31))
EVALUATED = [evaluated(CORE, "self", 1), evaluated(CORE, "final", 1)]


def check(facts=None, projects=(CORE,), evaluations=EVALUATED, inspections=(), cutoff=CUTOFF, rules=DEFAULTS):
    return assess(station() if facts is None else facts, projects, evaluations, inspections,
                  expected_sign=SIGN, cutoff=cutoff, rules=rules)


def gap_codes(facts=None, **kw):
    return [g.code for g in check(facts, **kw).gaps]


def evaluation_gaps(project, evaluations=(), cutoff=CUTOFF, rules=DEFAULTS):
    """The evaluation gaps of `project`, assessed beside the compliant station's core project."""
    return [c for c in gap_codes(projects=(CORE, project), evaluations=[*EVALUATED, *evaluations], cutoff=cutoff,
                                 rules=rules)
            if c.startswith(("self_", "final_", "evaluation_misdated")) and c.split(":")[1] == project.project]


def inspection(due, rectified=None, issues=True, record_id="in-1", on=EARLY):
    return InspectionFact(record_id, issues, due, rectified, on)
