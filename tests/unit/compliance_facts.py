"""The compliance tests' builders: a compliant station's facts, its core project, and the gaps an
assessment names. Not a test module."""

from datetime import date

from domain.vocabulary import codes
from projections.compliance import EvaluationFact, InspectionFact, ProjectFact, StationFact, assess

SIGN = "思明区厦港街道民政服务站"
CUTOFF = date(2025, 6, 30)
EARLY = date(2024, 1, 10)  # every fact of the compliant station is dated this day


def fact(kind, key=None, on=EARLY, detail=None):
    return StationFact(kind, key, on, detail)


def assigned(person, role, on=EARLY):
    return fact("staff_assigned", person, on, role)


def released(person, on):
    return fact("staff_released", person, on)


def station(*extra, drop=()):
    """A compliant station's facts, less those whose (kind, key) is in `drop`, plus `extra`."""
    facts = [
        fact("established"),
        fact("signboard", detail=SIGN),
        *(fact("equipment", item) for item in codes("equipment")),
        assigned("S-head", "station_head"),
        assigned("S-gov", "deputy_head_government"),
        assigned("S-prov", "deputy_head_provider"),
        assigned("S-1", "staff"),
        assigned("S-2", "staff"),
        *(fact("rules", category) for category in codes("rule_category")),
    ]
    return [f for f in facts if (f.kind, f.key) not in drop] + list(extra)


# A two-year core contract; year 1 is fully evaluated, year 2's self-evaluation is due 2025-07-02.
CORE = ProjectFact("P-1", "core", date(2024, 1, 1), date(2025, 12, 31))
EVALUATED = [EvaluationFact("P-1", "self", 1), EvaluationFact("P-1", "final", 1)]


def check(facts=None, projects=(CORE,), evaluations=EVALUATED, inspections=(), cutoff=CUTOFF):
    return assess(station() if facts is None else facts, projects, evaluations, inspections,
                  expected_sign=SIGN, cutoff=cutoff)


def gap_codes(facts=None, **kw):
    return [g.code for g in check(facts, **kw).gaps]


def evaluation_gaps(project, evaluations=(), cutoff=CUTOFF):
    """The evaluation gaps of `project`, assessed beside the compliant station's core project."""
    return [c for c in gap_codes(projects=(CORE, project), evaluations=[*EVALUATED, *evaluations], cutoff=cutoff)
            if c.startswith(("self_", "final_")) and c.split(":")[1] == project.project]


def inspection(due, rectified=None, issues=True, record_id="in-1"):
    return InspectionFact(record_id, issues, due, rectified)
