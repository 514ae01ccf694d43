"""Errors as RFC 9457 problem details, in Chinese and English, from one place.

Domain exceptions map to HTTP statuses here and nowhere else; a route raises, it never
returns an error body itself.
"""

import logging
from collections.abc import Sequence
from typing import Any

import asyncpg
import eventsourcing.persistence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.encoders import jsonable_encoder
from fastapi.openapi.models import Schema
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.records import RECORD_TYPES
from domain.plan import PlanForbidden, PlanStateViolation
from domain.report import ChainViolation
from domain.errors import BatchForbidden, BatchNotYourDuty, BatchRejected, RecordConflict
from service.errors import (
    ChildrenNotApproved, Forbidden, Invalid, NotFound, PeriodOpen, ProjectionBehind, UnknownFigure,
)
from service.health import NotReady, Unavailable
from service.uploads import RowsInvalid
from api.headers import SECURITY_HEADERS

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5

# The database is down, restarting, unreachable or too slow (a statement or pool timeout): the
# request changed nothing and may be retried, so it is a 503, never a 500.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # query cancelled (statement timeout), shutdown
    asyncpg.exceptions.ConnectionDoesNotExistError,
    ConnectionError,
    FileNotFoundError,  # asyncpg, when a local server's Unix socket is gone (the server is stopped)
    eventsourcing.persistence.OperationalError,  # psycopg's, pool timeouts included
    eventsourcing.persistence.InterfaceError,
)

log = logging.getLogger(__name__)


class FieldError(BaseModel):
    record: int | None = None
    id: str | None = None
    field: str | None = None
    detail: str
    owner: str | None = None  # /problems/not-your-duty: the level whose duty the record is
    sheet: str | None = None  # an uploaded spreadsheet's: the sheet, row and column header of the cell
    row: int | None = None
    column: str | None = None


class ProblemDetails(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
    towns: list[dict[str, str]] | None = None  # /problems/children-not-approved: each town and its status
    districts: list[dict[str, str]] | None = None  # the same, for the city's submission


class ApiProblem(Exception):
    """An error answer: raise it from a route or a dependency."""

    def __init__(self, status: int, slug: str, title: str, detail: str, *,
                 errors: list[FieldError] | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.body = ProblemDetails(type=f"/problems/{slug}", title=title, status=status, detail=detail,
                                   errors=errors)
        self.headers = headers


def not_found(what_zh: str, what_en: str) -> ApiProblem:
    return ApiProblem(404, "not-found", "未找到 / Not found", f"{what_zh}不存在 / {what_en} not found")


def forbidden(detail_zh: str, detail_en: str) -> ApiProblem:
    return ApiProblem(403, "forbidden", "无权操作 / Forbidden", f"{detail_zh} / {detail_en}")


def problem_response(body: ProblemDetails, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body.model_dump(exclude_none=True), status_code=body.status,
                        media_type=PROBLEM_JSON, headers=headers)


# Chinese for the pydantic error types a request can produce.
_ZH = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "enum": "不是词表中的代码",
    "literal_error": "取值不在允许范围内",
    "union_tag_invalid": "未知的记录类型",
    "union_tag_not_found": "缺少记录类型 type",
    "string_type": "须为字符串",
    "string_too_short": "过短",
    "string_too_long": "过长",
    "string_pattern_mismatch": "格式不符",
    "int_type": "须为整数",
    "bool_type": "须为 true 或 false",
    "list_type": "须为数组",
    "too_short": "条目过少",
    "too_long": "条目过多",
    "greater_than": "数值过小",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "model_type": "须为对象",
    "model_attributes_type": "须为对象",
    "dict_type": "须为对象",
    "json_invalid": "JSON 格式错误",
    "decimal_type": "须为十进制数",
    "int_parsing": "须为整数",
}


def _field_error(error: dict[str, Any]) -> FieldError:
    loc = list(error.get("loc", ()))
    if loc and loc[0] in ("body", "query", "path", "header"):
        loc = loc[1:]
    record = None
    if len(loc) >= 2 and loc[0] == "records" and isinstance(loc[1], int):
        record = loc[1]
        loc = loc[2:]
        if loc and loc[0] in RECORD_TYPES:
            loc = loc[1:]  # the record type the union chose, not a field
    message = str(error.get("msg", "invalid"))
    if error.get("type") == "value_error":
        detail = message.removeprefix("Value error, ")
    else:
        detail = f"{_ZH.get(error.get('type', ''), '取值无效')} / {message}"
    field = ".".join(str(part) for part in loc) or None
    return FieldError(record=record, field=field, detail=detail)


def _from_domain(exc: BatchRejected) -> list[FieldError]:
    """Each problem of a refused batch; an upload's (`service.uploads`) placed at its sheet and row."""
    where: dict[int, dict[str, Any]] = getattr(exc, "where", {})
    return [FieldError(record=p.index, id=p.record_id, field=p.field, detail=f"{p.zh} / {p.en}", owner=p.owner,
                       **where.get(p.index, {})) for p in exc.problems]


def _row_error(problem: dict[str, Any]) -> FieldError:
    """A bad cell or row of an upload, worded as a record's error is."""
    detail = problem.get("detail") or _field_error({**problem["error"], "loc": ()}).detail
    return FieldError(sheet=problem["sheet"], row=problem["row"], column=problem["column"] or None, detail=detail)


# What an operation may answer besides success, all as problem details.
_ERRORS = {
    400: "请求体无法解析 / The body cannot be parsed",
    401: "未认证 / No valid bearer token",
    403: "无权操作 / Forbidden for this role or town",
    404: "未找到（含其他区的资源）/ Not found, or another district's",
    409: "与已有记录或报表状态冲突 / Conflicts with a record or the report's state",
    413: "请求过大 / The body is too large",
    422: "请求有误，逐项列出 / Invalid, each problem listed",
    503: "暂不可用，稍后重试 / Not available yet; retry after Retry-After",
}


def document_problems(app: FastAPI, bodies: Sequence[type[BaseModel]] = ()) -> None:
    """Make the OpenAPI document say what the API does: every error of a /v1 operation is a
    problem+json `ProblemDetails` (FastAPI would document its own 422 shape instead)."""
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            problem = {"$ref": "#/components/schemas/ProblemDetails"}
            for path, operations in schema["paths"].items():
                if not path.startswith("/v1/"):
                    continue
                for operation in operations.values():
                    operation["responses"] = {key: value for key, value in operation["responses"].items()
                                              if not key.startswith(("4", "5"))} | {
                        str(status): {"description": text, "content": {PROBLEM_JSON: {"schema": problem}}}
                        for status, text in _ERRORS.items()}
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                components.pop(unused, None)
            components["ProblemDetails"] = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(components["ProblemDetails"].pop("$defs", {}))
            for body in bodies:  # as FastAPI writes a body parameter's: through its OpenAPI model, nulls left out
                schemas = body.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update({name: jsonable_encoder(Schema(**schema), by_alias=True, exclude_none=True)
                                   for name, schema in {body.__name__: schemas, **schemas.pop("$defs", {})}.items()})
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI, bodies: Sequence[type[BaseModel]] = ()) -> None:
    """Problem details for every error, documented; `bodies` are request bodies that routes
    validate themselves (their schemas go into the document's components too)."""
    document_problems(app, bodies)
    @app.exception_handler(ApiProblem)
    async def _api_problem(_: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(exc.body, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_field_error(e) for e in exc.errors()]
        records = sorted({e.record for e in errors if e.record is not None})
        detail = (f"第 {', '.join(map(str, records))} 条记录有误，整批未保存 / record(s) {', '.join(map(str, records))}"
                  " are invalid; nothing of the batch was stored") if records else "请求有误 / the request is invalid"
        return problem_response(ProblemDetails(type="/problems/validation", title="请求有误 / Invalid request",
                                               status=422, detail=detail, errors=errors))

    @app.exception_handler(BatchNotYourDuty)
    async def _not_your_duty(_: Request, exc: BatchNotYourDuty) -> JSONResponse:
        owners = ", ".join(sorted({p.owner for p in exc.problems if p.owner}))
        return problem_response(ProblemDetails(
            type="/problems/not-your-duty", title="不属于本级职责 / Not your duty", status=403,
            detail=f"批次中有属于 {owners} 职责的记录，整批未保存 / records that are the duty of {owners};"
                   " nothing was stored",
            errors=_from_domain(exc)))

    @app.exception_handler(BatchForbidden)
    async def _forbidden_batch(_: Request, exc: BatchForbidden) -> JSONResponse:
        return problem_response(ProblemDetails(
            type="/problems/out-of-scope", title="超出权限范围 / Out of scope", status=403,
            detail="批次中有超出本服务站范围的记录，整批未保存 / records outside the caller's town; nothing was stored",
            errors=_from_domain(exc)))

    @app.exception_handler(BatchRejected)
    async def _rejected_batch(_: Request, exc: BatchRejected) -> JSONResponse:
        return problem_response(ProblemDetails(
            type="/problems/rule-violation", title="记录违反业务规则 / Records break the rules", status=422,
            detail=f"{len(exc.problems)} 条记录违反业务规则，整批未保存 / {len(exc.problems)} record(s) break the rules;"
                   " nothing of the batch was stored",
            errors=_from_domain(exc)))

    @app.exception_handler(RowsInvalid)
    async def _rows_invalid(_: Request, exc: RowsInvalid) -> JSONResponse:
        rows = sorted({p["row"] for p in exc.problems})
        return problem_response(ProblemDetails(
            type="/problems/upload-rows", title="上传的表格有误 / Invalid rows in the upload", status=422,
            detail=f"第 {', '.join(map(str, rows))} 行有误，整个文件未保存 / row(s) {', '.join(map(str, rows))} are"
                   " invalid; nothing of the file was stored",
            errors=[_row_error(p) for p in exc.problems]))

    @app.exception_handler(ChainViolation)
    async def _chain(_: Request, exc: ChainViolation) -> JSONResponse:
        return problem_response(ProblemDetails(
            type="/problems/report-state", title="报表状态不允许此操作 / Not allowed in the report's state",
            status=409, detail=f"{exc.zh} / {exc.en}"))

    @app.exception_handler(PeriodOpen)
    async def _period_open(_: Request, exc: PeriodOpen) -> JSONResponse:
        return problem_response(ProblemDetails(type="/problems/period-open", title="报告期尚未结束 / The period is open",
                                               status=409, detail=str(exc)))

    @app.exception_handler(ChildrenNotApproved)
    async def _children(_: Request, exc: ChildrenNotApproved) -> JSONResponse:
        return problem_response(ProblemDetails(
            type="/problems/children-not-approved", title="下级报表尚未审核通过 / Reports below not approved",
            status=409, detail=str(exc), **{exc.kind: exc.children}))

    @app.exception_handler(PlanStateViolation)
    async def _plan_state(_: Request, exc: PlanStateViolation) -> JSONResponse:
        return problem_response(ProblemDetails(
            type="/problems/plan-state", title="购买计划状态不允许此操作 / Not allowed in the plan's state",
            status=409, detail=f"{exc.zh} / {exc.en}"))

    @app.exception_handler(PlanForbidden)
    async def _plan_forbidden(_: Request, exc: PlanForbidden) -> JSONResponse:
        return problem_response(ProblemDetails(type="/problems/forbidden", title="无权操作 / Forbidden", status=403,
                                               detail=f"{exc.zh} / {exc.en}"))

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return problem_response(ProblemDetails(type="/problems/not-found", title="未找到 / Not found", status=404,
                                               detail=str(exc)))

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return problem_response(ProblemDetails(type="/problems/forbidden", title="无权操作 / Forbidden", status=403,
                                               detail=str(exc)))

    @app.exception_handler(Invalid)
    async def _invalid(_: Request, exc: Invalid) -> JSONResponse:
        return problem_response(ProblemDetails(type="/problems/validation", title="请求有误 / Invalid request",
                                               status=422, detail=str(exc)))

    @app.exception_handler(UnknownFigure)
    async def _unknown_figure(_: Request, exc: UnknownFigure) -> JSONResponse:
        return problem_response(ProblemDetails(type="/problems/unknown-figure", title="未知的数字 / Unknown figure",
                                               status=422, detail=str(exc)))

    @app.exception_handler(ProjectionBehind)
    async def _behind(_: Request, exc: ProjectionBehind) -> JSONResponse:
        return problem_response(ProblemDetails(
            type="/problems/projection-behind", title="报表尚未更新 / Reports not caught up", status=503,
            detail=str(exc)), {"Retry-After": "1"})

    @app.exception_handler(NotReady)
    async def _not_ready(_: Request, exc: NotReady) -> JSONResponse:
        return problem_response(ProblemDetails(type="/problems/not-ready", title="未就绪 / Not ready", status=503,
                                               detail=str(exc)), {"Retry-After": str(RETRY_AFTER_SECONDS)})

    @app.exception_handler(Unavailable)
    async def _no_answer(_: Request, exc: Unavailable) -> JSONResponse:
        return problem_response(ProblemDetails(type="/problems/unavailable", title="数据库暂不可用 / Database unavailable",
                                               status=503, detail=str(exc)), {"Retry-After": str(RETRY_AFTER_SECONDS)})

    @app.exception_handler(RecordConflict)
    async def _conflict(_: Request, exc: RecordConflict) -> JSONResponse:
        return problem_response(ProblemDetails(
            type="/problems/record-id-conflict", title="记录编号冲突 / Record id conflict", status=409,
            detail="记录编号已用于不同内容，整批未保存 / record id(s) already used with other content; nothing was stored",
            errors=[FieldError(id=rid, field="id", detail="编号已被使用 / id already used") for rid in exc.record_ids]))

    async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s: %s", type(exc).__name__, exc)
        return problem_response(ProblemDetails(
            type="/problems/unavailable", title="数据库暂不可用 / Database unavailable", status=503,
            detail="数据库暂时无法访问或响应过慢，未作任何更改，请稍后重试 / the database cannot be reached or is too"
                   " slow; nothing was changed; retry later"), {"Retry-After": str(RETRY_AFTER_SECONDS)})

    for unavailable in DATABASE_UNAVAILABLE:
        app.add_exception_handler(unavailable, _unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Starlette logs the exception and re-raises it after this answer: nothing is hidden.
        return problem_response(ProblemDetails(
            type="/problems/internal", title="服务器内部错误 / Internal server error", status=500,
            detail="服务器出错，已记录，请稍后重试或联系管理员 / the server failed; it is logged"),
            SECURITY_HEADERS)  # answered outside the middleware that adds them to every other answer

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "未找到 / Not found", 405: "方法不允许 / Method not allowed", 401: "未认证 / Unauthorized"}
        return problem_response(ProblemDetails(
            type="about:blank", title=titles.get(exc.status_code, str(exc.detail)), status=exc.status_code,
            detail=str(exc.detail)), getattr(exc, "headers", None))
