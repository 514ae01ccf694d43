"""The demo year's reports on their way up: who submitted, approved or returned what, and when.

For the first half year most towns report on time and are approved by their district; one town
is returned with a reason, one reports late, one never reports, one waits for approval. Most
districts are approved by the city, one is returned, one never reports. The second half year
is partly reported. Each step carries the moment it would have happened in that year, so the
reports' timeliness reads as a real year's would.

The city sends the first half year to the province once its districts are decided (going
without the one that never reported); the province returns it once, and approves it submitted again.

Pure: a plan of steps. No report but the city's goes through the same status twice in a plan, so
the status a report has tells which of its steps are done (`steps_left`: the city's, from the last
step that leaves it so).
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from demo.areas import District
from kernel.clock import CST

TOWN_RETURN = "服务人次与服务台账不一致，请核实后重新报送"
DISTRICT_RETURN = "部分镇(街道)资金支出数据与财务台账不符，请核实后重新报送"
INCOMPLETE = "个别镇(街道)报表尚未审核通过，先行报送已审核部分"
CITY_INCOMPLETE = "个别区报表尚未审核通过，先行报送已审核的区"
PROVINCE_RETURN = "请补充各区服务站建设情况说明后重新报送"
CITY = "city"  # the city's own report, to the province (`tenants.event_store.CITY`)


@dataclass(frozen=True)
class ReportStep:
    period: str  # 2025H1
    district: str  # 'city' for the city's report (to the province)
    town: str  # '' for the district's own report (to the city)
    action: str  # submit | approve | return
    by: str  # the role that takes the step: station, district, city or province
    at: datetime  # when it happened in the demo year (China Standard Time)
    reason: str | None = None
    incomplete_reason: str | None = None  # a district's submission without every town approved

    @property
    def status(self) -> str:
        """The report's status once the step is taken."""
        return {"submit": "submitted", "approve": "approved", "return": "returned"}[self.action]


def reporting_plan(districts: tuple[District, ...], seed: int, year: int) -> list[ReportStep]:
    """Every step of the year's reporting chain, in the order they happened."""
    rng = random.Random(f"stations-demo:{seed}:{year}:chain")
    steps = [*_first_half(rng, districts, year), *_second_half(rng, districts, year)]
    return sorted(steps, key=lambda s: s.at)


def steps_left(steps: list[ReportStep], status: str | None) -> list[ReportStep]:
    """One report's planned steps not yet taken, given its status now (none, if the report has
    gone another way than the plan's)."""
    if status is None:
        return steps
    reached = [s.status for s in steps]
    return steps[len(reached) - reached[::-1].index(status):] if status in reached else []


def _moment(rng: random.Random, first: date, days: int) -> datetime:
    day = first + timedelta(days=rng.randint(0, days))
    return datetime.combine(day, time(rng.randint(9, 17), rng.randint(0, 59)), CST)


def _first_half(rng: random.Random, districts: tuple[District, ...], year: int) -> list[ReportStep]:
    period = f"{year}H1"
    towns = [(d.code, t.code) for d in districts for t in d.towns]
    # A few towns take another road; with few towns, fewer of them do.
    odd = dict(zip(rng.sample(towns, min(4, len(towns))), ("returned", "late", "silent", "waiting"), strict=False))
    # One district never reports and one is returned, while at least one is approved.
    unusual = ("silent", "returned")[:max(0, len(districts) - 1)]
    fates = dict(zip(rng.sample([d.code for d in districts], len(unusual)), unusual, strict=True))
    steps: list[ReportStep] = []
    last_district = datetime.combine(date(year, 7, 1), time(9), CST)
    for district in districts:
        fate = fates.get(district.code, "approved")
        last_town = datetime.combine(date(year, 7, 1), time(9), CST)
        incomplete = None
        for town in district.towns:
            road = odd.get((district.code, town.code), "approved")
            if road in ("returned", "silent", "waiting"):
                incomplete = INCOMPLETE
            if road == "silent":
                continue
            # Due 15 days after the half year; one town is a few days late, in time for its district.
            submitted = _moment(rng, date(year, 7, 17), 4) if road == "late" else _moment(rng, date(year, 7, 2), 12)
            steps.append(ReportStep(period, district.code, town.code, "submit", "station", submitted))
            decided = submitted + timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 5))
            last_town = max(last_town, decided)
            if road == "returned":
                steps.append(ReportStep(period, district.code, town.code, "return", "district", decided, TOWN_RETURN))
            elif road != "waiting":
                steps.append(ReportStep(period, district.code, town.code, "approve", "district", decided))
        if fate == "silent":
            continue
        # Due 30 days after the half year: after its towns' decisions, and on time.
        submitted = max(last_town + timedelta(hours=4), _moment(rng, date(year, 7, 22), 6))
        steps.append(ReportStep(period, district.code, "", "submit", "district", submitted,
                                incomplete_reason=incomplete))
        decided = submitted + timedelta(days=rng.randint(2, 8), hours=rng.randint(0, 5))
        last_district = max(last_district, decided)
        if fate == "returned":
            steps.append(ReportStep(period, district.code, "", "return", "city", decided, DISTRICT_RETURN))
        else:
            steps.append(ReportStep(period, district.code, "", "approve", "city", decided))
    # The reason goes with the city's submission whatever the plan: on a database of more districts
    # than the demo's, others may have a station without an approved report (it is kept only if one does).
    return [*steps, *_to_the_province(rng, period, last_district, CITY_INCOMPLETE)]


def _to_the_province(rng: random.Random, period: str, after: datetime, incomplete: str) -> list[ReportStep]:
    """The city's report: submitted once its districts are decided, returned once by the province,
    submitted again and approved."""
    submitted = after + timedelta(days=rng.randint(2, 5), hours=rng.randint(0, 5))
    returned = submitted + timedelta(days=rng.randint(3, 6))
    again = returned + timedelta(days=rng.randint(2, 4))
    return [ReportStep(period, CITY, "", "submit", "city", submitted, incomplete_reason=incomplete),
            ReportStep(period, CITY, "", "return", "province", returned, PROVINCE_RETURN),
            ReportStep(period, CITY, "", "submit", "city", again, incomplete_reason=incomplete),
            ReportStep(period, CITY, "", "approve", "province", again + timedelta(days=rng.randint(3, 7)))]


def _second_half(rng: random.Random, districts: tuple[District, ...], year: int) -> list[ReportStep]:
    """Partly reported: about two towns in three, most of them approved; one district has reported."""
    period = f"{year}H2"
    steps: list[ReportStep] = []
    reporting = rng.choice(districts).code if districts else None
    for district in districts:
        for town in district.towns:
            if district.code != reporting and rng.random() >= 0.65:
                continue
            submitted = _moment(rng, date(year + 1, 1, 3), 11)
            steps.append(ReportStep(period, district.code, town.code, "submit", "station", submitted))
            if district.code == reporting or rng.random() < 0.7:
                steps.append(ReportStep(period, district.code, town.code, "approve", "district",
                                        submitted + timedelta(days=rng.randint(1, 4))))
        if district.code == reporting:
            steps.append(ReportStep(period, district.code, "", "submit", "district",
                                    _moment(rng, date(year + 1, 1, 22), 6)))
    return steps
