"""A seeded, realistic year of records for a set of districts, as batches the API accepts.

Pure and streaming: nothing is read or written, and only the few records that are not services
(stations, projects, spending, checks: tens per town) are planned ahead; the services stream
past them. The same seed and size give the same records, ids and content alike, every run, so
sending a year twice stores it once. Each district draws from its own random stream, so one
district's records do not depend on which other districts are generated with it.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
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

    @classmethod
    def of_size(cls, records: int, seed: int = DEFAULT_SEED, districts: tuple[District, ...] | None = None,
                year: int = DEFAULT_YEAR) -> "DemoYear":
        """The year with as many services as bring its records nearest to `records` without
        passing it (a benchmark asks for 100,000 or 10,000,000 events: one record is one event)."""
        shaped = cls(seed, 0, xiamen() if districts is None else tuple(districts), year)
        fewest, most = 0, records  # voids grow with services, so search rather than solve
        while fewest < most:
            middle = (fewest + most + 1) // 2
            fewest, most = (middle, most) if shaped._total(middle) <= records else (fewest, middle - 1)
        return replace(shaped, services=fewest)

    def _rng(self, district: District, purpose: str) -> random.Random:
        return random.Random(f"stations-demo:{self.seed}:{self.year}:{district.code}:{purpose}")

    def plans(self, district: District) -> list[TownPlan]:
        """The district's towns, planned afresh (their records are new dicts each time)."""
        return plan_district(self._rng(district, "towns"), district, self.year)

    @cached_property
    def _shape(self) -> dict[str, tuple[float, int]]:
        """Per district, its towns' weight and its records other than services and their voids."""
        shape = {}
        for district in self.districts:
            plans = self.plans(district)
            others = [record for plan in plans for _, _, record in plan.records]
            payment_voided = any(r["type"] == "fund_spent" for r in others)
            shape[district.code] = (sum(p.weight for p in plans), len(others) + payment_voided)
        return shape

    def _split(self, services: int) -> dict[str, int]:
        weights = [weight for weight, _ in self._shape.values()]
        counts = spread(services, weights) if any(weights) else [0] * len(weights)  # no towns, no services
        return dict(zip(self._shape, counts, strict=True))

    def _total(self, services: int) -> int:
        return sum(self._shape[d][1] + n + voided(n) for d, n in self._split(services).items())

    @cached_property
    def services_by_district(self) -> dict[str, int]:
        """How many services each district delivers: the size split by the towns' weights."""
        return self._split(self.services)

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
        count = self.services_by_district[district.code]
        return self._shape[district.code][1] + count + voided(count)

    def total(self) -> int:
        """Exactly how many records `batches` yields, without making the services."""
        return self._total(self.services)

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
