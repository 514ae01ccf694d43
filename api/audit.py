"""Auditing: checkpoints, Merkle proofs and the verification of a district's log."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.auth import Caller, Role
from api.deps import POSITION_MAX, DistrictDep, ReadPoolDep, ReadScopeDep, RuntimeDep, allow, scoped_connection
from api.problems import ApiProblem, not_found
from audit import checkpoints
from kernel import merkle
from audit.verify import verify

router = APIRouter(tags=["audit 审计"])

Auditor = Annotated[Caller, Depends(allow(Role.district, Role.city, Role.auditor, Role.admin))]


@router.get("/v1/audit/public-key", summary="检查点签名公钥 / The key that signs checkpoints")
def public_key(runtime: RuntimeDep) -> dict[str, str]:
    key = runtime.signing_key
    return {"algorithm": "Ed25519", "key_id": key.key_id, "public_key": key.public_b64(), "pem": key.public_pem()}


@router.get("/v1/districts/{district}/audit/checkpoints", summary="签名检查点 / Signed checkpoints")
async def list_checkpoints(district: DistrictDep, _: Auditor, pool: ReadPoolDep,
                           read_scope: ReadScopeDep) -> dict[str, Any]:
    async with scoped_connection(pool, read_scope) as conn:
        found = await checkpoints.listed(conn, district)
    return {"district": district, "checkpoints": [c.as_json() for c in found]}


async def _tree(pool, read_scope: str, district: str, tree_size: int | None):
    async with scoped_connection(pool, read_scope) as conn:
        chained = await checkpoints.leaves(conn, district)
        found = await checkpoints.listed(conn, district)
    if not found:
        raise not_found("检查点", "a checkpoint")
    checkpoint = found[-1] if tree_size is None else next((c for c in found if c.tree_size == tree_size), None)
    if checkpoint is None or checkpoint.tree_size > len(chained):
        raise not_found(f"规模为 {tree_size} 的检查点", f"a checkpoint of size {tree_size}")
    return chained, checkpoint, found


@router.get("/v1/districts/{district}/audit/proofs/inclusion",
            summary="事件包含证明 / Proof that an event is in a checkpoint")
async def inclusion(district: DistrictDep, _: Auditor, pool: ReadPoolDep, read_scope: ReadScopeDep,
                    position: Annotated[int, Query(ge=1, le=POSITION_MAX, description="the event's position")],
                    tree_size: Annotated[int | None, Query(ge=1, le=POSITION_MAX, description="the checkpoint; default the latest")]
                    = None) -> dict[str, Any]:
    chained, checkpoint, _ = await _tree(pool, read_scope, district, tree_size)
    index = next((i for i, (p, _, _) in enumerate(chained[:checkpoint.tree_size]) if p == position), None)
    if index is None:
        raise not_found(f"检查点 {checkpoint.tree_size} 中位置 {position} 的事件",
                        f"an event at position {position} in checkpoint {checkpoint.tree_size}")
    leaves = [leaf for _, leaf, _ in chained[:checkpoint.tree_size]]
    return {"position": position, "index": index, "leaf": leaves[index].hex(),
            "proof": [h.hex() for h in merkle.inclusion_proof(leaves, index)], "checkpoint": checkpoint.as_json()}


@router.get("/v1/districts/{district}/audit/proofs/consistency",
            summary="检查点一致性证明 / Proof that a later checkpoint extends an earlier one")
async def consistency(district: DistrictDep, _: Auditor, pool: ReadPoolDep, read_scope: ReadScopeDep,
                      first: Annotated[int, Query(ge=0, le=POSITION_MAX, description="the earlier checkpoint's tree size")],
                      second: Annotated[int, Query(ge=0, le=POSITION_MAX, description="the later checkpoint's tree size")]
                      ) -> dict[str, Any]:
    if first > second:
        raise ApiProblem(422, "validation", "请求有误 / Invalid request",
                         "first 须不大于 second / first must not exceed second")
    chained, later, found = await _tree(pool, read_scope, district, second)
    earlier = next((c for c in found if c.tree_size == first), None)
    if earlier is None:
        raise not_found(f"规模为 {first} 的检查点", f"a checkpoint of size {first}")
    leaves = [leaf for _, leaf, _ in chained[:later.tree_size]]
    return {"first": earlier.as_json(), "second": later.as_json(),
            "proof": [h.hex() for h in merkle.consistency_proof(leaves, first)]}


@router.get("/v1/districts/{district}/audit/verify", summary="验证哈希链与检查点 / Verify the chain and checkpoints")
async def verify_district(district: DistrictDep, _: Auditor, runtime: RuntimeDep, pool: ReadPoolDep,
                          read_scope: ReadScopeDep) -> dict[str, Any]:
    key = runtime.signing_key
    async with scoped_connection(pool, read_scope) as conn:
        result = await verify(conn, district, {key.key_id: key.public})
    return result.as_json()
