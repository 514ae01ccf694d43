"""Auditing: checkpoints, Merkle proofs and the verification of a district's log."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.deps import DistrictDep, RuntimeDep, allow
from domain.values import POSITION_MAX
from service import audit_trail
from service.callers import Caller, Role

router = APIRouter(tags=["audit 审计"])

Auditor = Annotated[Caller, Depends(allow(Role.district, Role.city, Role.auditor, Role.admin))]


@router.get("/v1/audit/public-key", summary="检查点签名公钥 / The key that signs checkpoints")
def public_key(runtime: RuntimeDep) -> dict[str, Any]:
    return audit_trail.public_key(runtime)


@router.get("/v1/districts/{district}/audit/checkpoints", summary="签名检查点 / Signed checkpoints")
async def list_checkpoints(district: DistrictDep, caller: Auditor, runtime: RuntimeDep,
                           position: Annotated[int | None, Query(ge=0, le=POSITION_MAX, description=(
                               "only the checkpoint of the log up to this position (a report step's)"))] = None
                           ) -> dict[str, Any]:
    return await audit_trail.listed(runtime, caller, district, position)


@router.get("/v1/districts/{district}/audit/proofs/inclusion",
            summary="事件包含证明 / Proof that an event is in a checkpoint")
async def inclusion(district: DistrictDep, caller: Auditor, runtime: RuntimeDep,
                    position: Annotated[int, Query(ge=1, le=POSITION_MAX, description="the event's position")],
                    tree_size: Annotated[int | None, Query(ge=1, le=POSITION_MAX, description="the checkpoint; default the latest")]
                    = None) -> dict[str, Any]:
    return await audit_trail.inclusion(runtime, caller, district, position, tree_size)


@router.get("/v1/districts/{district}/audit/proofs/consistency",
            summary="检查点一致性证明 / Proof that a later checkpoint extends an earlier one")
async def consistency(district: DistrictDep, caller: Auditor, runtime: RuntimeDep,
                      first: Annotated[int, Query(ge=0, le=POSITION_MAX, description="the earlier checkpoint's tree size")],
                      second: Annotated[int, Query(ge=0, le=POSITION_MAX, description="the later checkpoint's tree size")]
                      ) -> dict[str, Any]:
    return await audit_trail.consistency(runtime, caller, district, first, second)


@router.get("/v1/districts/{district}/audit/verify", summary="验证哈希链与检查点 / Verify the chain and checkpoints")
async def verify_district(district: DistrictDep, caller: Auditor, runtime: RuntimeDep) -> dict[str, Any]:
    return await audit_trail.verified(runtime, caller, district)
