"""A seeded, realistic year of records for a set of districts, as batches the API accepts.

Pure and streaming: nothing is read or written, and only the few records that are not services
(stations, projects, spending, checks: tens per town) are planned ahead; the services stream
past them. The same seed and size give the same records, ids and content alike, every run, so
sending a year twice stores it once. Each district draws from its own random stream, so one
district's records do not depend on which other districts are generated with it.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from demo import texts
from demo.areas import District, xiamen
from demo.services import services, spread, voided
from demo.towns import TownPlan, plan_district

DEFAULT_SEED = 2025
DEFAULT_SERVICES = 40_000
DEFAULT_YEAR = 2025  # a past year, so both half years are complete and no date lies ahead
BATCH_SIZE = 1000  # the most records the API takes in one batch


@dataclass(frozen=True)
class DemoYear:
    """One demo year: which districts, how many services, from which seed."""

    seed: int = DEFAULT_SEED
    services: int = DEFAULT_SERVICES
    districts: tuple[District, ...] = field(default_factory=xiamen)
    year: int = DEFAULT_YEAR

    def _rng(self, district: District, purpose: str) -> random.Random:
        return random.Random(f"stations-demo:{self.seed}:{self.year}:{district.code}:{purpose}")

    def plans(self, district: District) -> list[TownPlan]:
        """The district's towns, planned afresh (their records are new dicts each time)."""
        return plan_district(self._rng(district, "towns"), district, self.year)

    @cached_property
    def services_by_district(self) -> dict[str, int]:
        """How many services each district delivers: the size split by the towns' weights."""
        weights = [sum(p.weight for p in self.plans(d)) for d in self.districts]
        counts = spread(self.services, weights) if any(weights) else [0] * len(weights)  # no towns, no services
        return {d.code: n for d, n in zip(self.districts, counts, strict=True)}

    def district_records(self, district: District) -> Iterator[dict]:
        """Every record of the district for the year, in an order the rules accept."""
        plans = self.plans(district)
        others = sorted(((day, order, n), record) for n, (day, order, record) in enumerate(
            item for plan in plans for item in plan.records))
        rng = self._rng(district, "services")
        merged = _with_a_void(rng, [(key[0], record) for key, record in others])
        yield from services(rng, district.code, plans, self.services_by_district[district.code], self.year, merged)

    def district_total(self, district: District) -> int:
        """Exactly how many records `district_records` yields, without making the services."""
        others = [record for plan in self.plans(district) for _, _, record in plan.records]
        payment_voided = any(r["type"] == "fund_spent" for r in others)
        count = self.services_by_district[district.code]
        return len(others) + payment_voided + count + voided(count)

    def total(self) -> int:
        return sum(self.district_total(d) for d in self.districts)

    def batches(self, batch_size: int = BATCH_SIZE) -> Iterator[tuple[str, list[dict]]]:
        """`(district code, records)` batches of at most `batch_size`, district after district."""
        if not 1 <= batch_size <= BATCH_SIZE:
            raise ValueError(f"a batch holds 1 to {BATCH_SIZE} records")
        for district in self.districts:
            for batch in self.district_batches(district, batch_size):
                yield district.code, batch

    def district_batches(self, district: District, batch_size: int = BATCH_SIZE) -> Iterator[list[dict]]:
        """One district's records in batches of at most `batch_size`."""
        batch: list[dict] = []
        for record in self.district_records(district):
            batch.append(record)
            if len(batch) == batch_size:
                yield batch
                batch = []
        if batch:
            yield batch


def _with_a_void(rng: random.Random, records: list[tuple[date, dict]]) -> Iterator[tuple[date, dict]]:
    """The records, with one payment of the district voided two days after it was made."""
    payments = [i for i, (_, r) in enumerate(records) if r["type"] == "fund_spent"]
    if not payments:
        yield from records
        return
    day, payment = records[rng.choice(payments)]
    void = (day + timedelta(days=2), {"id": f"void-{payment['id']}", "type": "record_voided",
                                      "record": payment["id"], "reason": texts.VOID_REASONS[0]})
    at = next((i for i, (d, _) in enumerate(records) if d > void[0]), len(records))
    yield from records[:at]
    yield void
    yield from records[at:]


def generate(seed: int = DEFAULT_SEED, services: int = DEFAULT_SERVICES, districts: tuple[District, ...] | None = None,
             year: int = DEFAULT_YEAR, batch_size: int = BATCH_SIZE) -> Iterator[tuple[str, list[dict]]]:
    """The demo year as `(district, records)` batches: see `DemoYear`."""
    demo = DemoYear(seed, services, xiamen() if districts is None else tuple(districts), year)
    return demo.batches(batch_size)
