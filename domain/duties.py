"""Separation of duties (职责分工): each record's owner, the level whose duty it records, decided
from the record itself (and for a payment, an evaluation, a release or a void, from what it names).

The chain of levels is station (the provider) < town (the town government) < district < city. A
record may be written by its owner, or on the owner's behalf by a level above it up to the
district; the city writes only its own records.
"""

from collections.abc import Mapping
from enum import IntEnum
from typing import Any


class Level(IntEnum):
    station = 1  # the provider (承接方) running the town's station
    town = 2  # the town government, 镇(街道)
    district = 3
    city = 4

    @property
    def zh(self) -> str:
        return _NAMES_ZH[self]


_NAMES_ZH = {Level.station: "服务站(承接方)", Level.town: "镇(街道)", Level.district: "区", Level.city: "市"}

# Records whose owner their type decides alone.
FIXED: dict[str, Level] = {
    "service_delivered": Level.station,
    "rectification_done": Level.station,
    "self_evaluation_submitted": Level.station,
    "linked_figures_collected": Level.station,
    "progress_reported": Level.station,
    "station_established": Level.town,
    "signboard_hung": Level.town,
    "equipment_recorded": Level.town,
    "rules_adopted": Level.town,
    "problem_resolved": Level.town,
    "purchase_plan_drafted": Level.district,
    "provider_exited": Level.district,
    "village_registered": Level.district,  # the district's register (guide: the district plans and files)
    "budget_allocated": Level.district,  # the district's finance bureau secures the funds
    "training_held": Level.city,
}
# Records whose owner their content, or the project, station or record they name, decides.
BY_CONTENT = frozenset({"project_contracted", "fund_spent", "final_evaluation_done", "inspection_done",
                        "staff_assigned", "staff_released", "record_voided"})
PURCHASED = frozenset({"project_contracted", "fund_spent", "final_evaluation_done"})

PROVIDER_STAFF = frozenset({"deputy_head_provider", "staff"})  # employed by the provider
GOVERNMENT_STAFF = frozenset({"station_head", "deputy_head_government"})  # the town's own officers


def purchaser(purchaser_kind: str) -> Level:
    """The level that buys a project: the town government, or the district bureau."""
    return Level.town if purchaser_kind == "town_government" else Level.district


def staff_owner(role: str) -> Level:
    return Level.station if role in PROVIDER_STAFF else Level.town


def owner(record_type: str, fields: Mapping[str, Any], *, purchaser_kind: str | None = None,
          staff_role: str | None = None, voided_owner: Level | None = None) -> Level:
    """The owner of a record of `record_type` with these `fields`; a payment's or an
    evaluation's needs its project's `purchaser_kind`, a release's the released person's
    `staff_role`, a void's the voided record's owner."""
    if record_type in FIXED:
        return FIXED[record_type]
    if record_type == "inspection_done":
        return Level[fields["by"]]
    if record_type == "project_contracted":
        return purchaser(fields["purchaser_kind"])
    if record_type in PURCHASED:
        return purchaser(_given(purchaser_kind, "purchaser_kind", record_type))
    if record_type == "staff_assigned":
        return staff_owner(fields["role"])
    if record_type == "staff_released":
        return staff_owner(_given(staff_role, "staff_role", record_type))
    if record_type == "record_voided":
        return _given(voided_owner, "voided_owner", record_type)
    raise KeyError(f"record type {record_type} has no owner")


def _given(value: Any, name: str, record_type: str) -> Any:
    if value is None:
        raise TypeError(f"the owner of a {record_type} needs its {name}")
    return value


def may_write(caller: Level, owner_level: Level) -> bool:
    """The owner writes its record; a level above writes it on the owner's behalf up to the
    district; the city writes only its own."""
    if caller is Level.city:
        return owner_level is Level.city
    return owner_level <= caller


def on_behalf_of(caller: Level, owner_level: Level) -> Level | None:
    """The owner a caller writes for, when it is not the caller itself."""
    return owner_level if owner_level is not caller else None
