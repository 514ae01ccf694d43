"""Writing: `POST /v1/districts/{district}/records`, one atomic batch of 1 to 1000 records."""

from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from api.auth import Role
from api.deps import Acting, RequestIdDep, acting_in
from domain.decisions import Context
from domain.events import Provenance
from domain.records import RecordBatch
from stations import clock

router = APIRouter(prefix="/v1/districts/{district}", tags=["records 记录"])


class RecordOutcome(BaseModel):
    id: str
    status: Literal["accepted", "duplicate"]
    position: int


class WriteAnswer(BaseModel):
    results: list[RecordOutcome]
    position: int


Writer = Annotated[Acting, Depends(acting_in(Role.station, Role.district))]


async def _record_batch(request: Request) -> RecordBatch:
    """The body, validated from its bytes by pydantic's own JSON parser. FastAPI would decode it
    with the standard library's, then validate the objects made: for a batch of 1000 records,
    1.8 times as long, on the event loop that every request waits for (bench/README section 17)."""
    try:
        return RecordBatch.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


# As FastAPI documents a body parameter (`problems.document_problems` adds the models' schemas).
_BODY = {"requestBody": {"required": True,
                         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RecordBatch"}}}}}
BODY_MODELS = (RecordBatch,)


@router.post("/records", response_model=WriteAnswer, summary="报送记录 / Record a batch", openapi_extra=_BODY)
async def post_records(batch: Annotated[RecordBatch, Depends(_record_batch)], writer: Writer,
                       request_id: RequestIdDep, request: Request) -> Response:
    """Store every new record of the batch in one transaction, or none of them.

    A record sent again with the same id and content is reported as `duplicate` and stored
    once; the same id with other content is a 409. `position` is the district's event-log
    position after the write.
    """
    district, caller = writer.district, writer.caller
    tenants = request.app.state.runtime.tenants
    ctx = Context(
        district=district,
        divisions=tenants.divisions,
        today=clock.today(),
        provenance=Provenance(caller.sub, caller.role, request_id, clock.now()),
        town_scope=caller.town if caller.role is Role.station else None,
    )
    ledger = tenants.opened_ledger(district) or await run_in_threadpool(tenants.ledger, district)
    written = await request.app.state.writes.record(ledger, batch.records, ctx)
    # `WriteAnswer`'s shape, written straight from the results: a thousand outcome models
    # built and checked again cost more than the rest of the answer.
    return Response(orjson.dumps({"results": written.results, "position": written.position}),
                    media_type="application/json")
