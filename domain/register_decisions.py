"""The batch decision's handlers for the district's registers: its villages, the funds it secures
for the year, and the towns a district purchase covers. Mixed into `decisions._Batch`, which
provides `ctx`, `load` and `check_scope` (the duty check runs before each handler); kept apart so each file holds one idea.
"""

from uuid import UUID

from domain import records as r
from domain.errors import RuleViolation
from domain.events import record_stream, stream_id
from domain.funding import BudgetAllocation
from domain.project import Project
from domain.villages import VillageRegistry


def villages_stream(district: str, town: str) -> UUID:
    return stream_id(district, "villages", town)


class DistrictRegisters:
    def register_village(self, record: r.VillageRegistered) -> VillageRegistry:
        stream = villages_stream(self.ctx.district, record.town)
        registry = self.load(stream)
        if registry is None:
            return VillageRegistry.open(stream, record, self.ctx.provenance)
        assert isinstance(registry, VillageRegistry)
        registry.register(record, self.ctx.provenance)
        return registry

    def village_code(self, record: r.ServiceDelivered) -> str | None:
        """The registered village a service's text names, if its town registers villages that day."""
        if record.village is None:
            return None
        registry = self.load(villages_stream(self.ctx.district, record.town))
        return registry.resolve(record.village, record.occurred_on) if isinstance(registry, VillageRegistry) else None

    def allocate_budget(self, record: r.BudgetAllocated) -> BudgetAllocation:
        if record.year > self.ctx.today.year + 1:
            raise RuleViolation("year", "只能落实本年度或下一年度的资金", "funds are secured for this year or the next")
        return BudgetAllocation.allocate(record_stream(self.ctx.district, record.id), record, self.ctx.provenance)

    def check_shared_towns(self, record: r.ProjectContracted) -> None:
        """Each town a district purchase covers is the district's on the contract's first day."""
        for index, share in enumerate(record.towns or ()):
            version = self.ctx.divisions.town(share.town, record.contract_start)
            if version is None or version.district != self.ctx.district:
                raise RuleViolation(f"towns.{index}.town", f"{share.town} 在 {record.contract_start} 不是本区的镇(街道)",
                                    f"{share.town} was not a town of district {self.ctx.district}"
                                    f" on {record.contract_start}")

    def check_project_scope(self, project: Project) -> None:
        """A station acts on a project of its own town, or on a shared one that covers it."""
        scope = self.ctx.town_scope
        if scope is None or not project.covers(scope):
            self.check_scope(project.town)

    def check_covers(self, project: Project, town: str) -> None:
        if not project.covers(town):
            raise RuleViolation("project", "该项目不属于此镇(街道)", "the project belongs to another town")
