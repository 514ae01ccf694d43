"""Writing: `POST /v1/districts/{district}/records`, one atomic batch of 1 to 1000 records."""

import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

from api import deps
from api.deps import Acting, RequestIdDep, RuntimeDep, acting_in
from domain.records import RecordBatch
from domain.values import DISTRICT_PATTERN
from service import commands
from service.callers import Role


class RecordOutcome(BaseModel):
    id: str
    status: Literal["accepted", "duplicate"]
    position: int


class WriteAnswer(BaseModel):
    results: list[RecordOutcome]
    position: int


_acting = acting_in(Role.station, Role.town, Role.district, Role.city)
Writer = Annotated[Acting, Depends(_acting)]


async def _record_batch(request: Request) -> RecordBatch:
    """The body, validated from its bytes by pydantic's own JSON parser: FastAPI would decode it
    with the standard library's, then validate the objects made, on the event loop every request
    waits for."""
    try:
        return RecordBatch.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


# As FastAPI documents a body parameter (`problems.document_problems` adds the models' schemas).
_BODY = {"requestBody": {"required": True,
                         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RecordBatch"}}}}}
BODY_MODELS = (RecordBatch,)


class _WriteRoute(APIRoute):
    """The busiest route, answered without FastAPI's solving of its dependencies when the
    request's path is well formed: the same functions check it, the caller before the body is
    read (token, district, role, then body and request id). Any other request goes the standard
    way, and is refused as FastAPI refuses it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        standard = super().get_route_handler()

        async def handle(request: Request) -> Response:
            district = request.path_params["district"]
            if not _DISTRICT.fullmatch(district):
                return await standard(request)
            writer = await _acting(district, request, await deps.bearer(request))
            batch = await _record_batch(request)
            return await post_records(batch, writer, await deps.request_id(request.headers.get("x-request-id")),
                                      request.app.state.runtime)

        return handle


_DISTRICT = re.compile(DISTRICT_PATTERN)
router = APIRouter(prefix="/v1/districts/{district}", tags=["records 记录"], route_class=_WriteRoute)


@router.post("/records", response_model=WriteAnswer, summary="报送记录 / Record a batch", openapi_extra=_BODY)
async def post_records(batch: Annotated[RecordBatch, Depends(_record_batch)], writer: Writer,
                       request_id: RequestIdDep, runtime: RuntimeDep) -> Response:
    """Store every new record of the batch in one transaction, or none of them.

    A record sent again with the same id and content is reported as `duplicate` and stored
    once; the same id with other content is a 409. `position` is the district's event-log
    position after the write.
    """
    written = await commands.record_batch(runtime, writer.caller, writer.district, batch.records, request_id)
    # `WriteAnswer`'s shape, written straight from the results: a thousand outcome models
    # built and checked again cost more than the rest of the answer.
    return Response(orjson.dumps({"results": written.results, "position": written.position}),
                    media_type="application/json")
