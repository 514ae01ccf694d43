"""Spreadsheets: the templates a station fills (`GET /v1/templates/{record_type}.xlsx|.csv`,
public) and their upload (`POST /v1/districts/{district}/imports`), with the caller's role,
scope and duties as for `POST .../records`."""

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import RequestIdDep, RuntimeDep
from api.exports import CsvResponse, XlsxResponse, disposition
from api.problems import ApiProblem, not_found
from api.records import Writer
from exports import templates
from exports.columns import importable_types, layout
from service import uploads

router = APIRouter(tags=["imports 表格导入"])


class ImportAnswer(BaseModel):
    rows: int
    accepted: int
    duplicate: int
    refused: list[dict]  # always empty: a bad row refuses the whole file (422)
    position: int  # the district's log position after the last batch: a report's `min_position`


def _template_of(record_type: str) -> str:
    if record_type not in importable_types():
        raise not_found(f"记录类型 {record_type}", f"record type {record_type}")
    return record_type


@router.get("/v1/templates/{record_type}.xlsx", response_class=XlsxResponse,
            summary="记录表格模板（Excel）/ A record type's spreadsheet template")
async def xlsx_template(record_type: str) -> Response:
    """The sheet to fill (Chinese headers, wire names beneath, drop-down lists of the vocabulary)
    and the explanation sheet (每列说明) with each column's rule and an example row."""
    body = await run_in_threadpool(templates.workbook, _template_of(record_type))
    return XlsxResponse(body, headers={"Content-Disposition": disposition(
        f"{layout(record_type).name}模板.xlsx", f"{record_type}.xlsx")})


@router.get("/v1/templates/{record_type}.csv", response_class=CsvResponse,
            summary="记录表格模板（CSV）/ A record type's CSV template")
async def csv_template(record_type: str) -> Response:
    """The two header lines: Chinese headers, then wire names. UTF-8 with a BOM."""
    body = templates.csv_text(_template_of(record_type))
    return CsvResponse(body, headers={"Content-Disposition": disposition(
        f"{layout(record_type).name}模板.csv", f"{record_type}.csv")})


@router.post("/v1/districts/{district}/imports", response_model=ImportAnswer,
             summary="上传记录表格 / Upload a spreadsheet of records")
async def import_spreadsheet(request: Request, file: Annotated[UploadFile, File(description="xlsx 或 csv")],
                             writer: Writer, request_id: RequestIdDep, runtime: RuntimeDep,
                             record_type: Annotated[str | None, Query(
                                 description="CSV 的记录类型（缺省取文件名）/ a CSV's record type, else its file name")] = None,
                             ) -> dict:
    """Every row is checked first as a record of `POST .../records` is; any bad row stores
    nothing and the 422 lists each by sheet, row and column. A blank 记录编号 is made from the
    file's content and the row, so the same file again is all `duplicate`."""
    limits: uploads.UploadLimits = request.app.state.upload_limits
    content = await file.read(limits.max_bytes + 1)
    if len(content) > limits.max_bytes:
        raise ApiProblem(413, "body-too-large", "请求过大 / Request too large",
                         f"文件超过 {limits.max_bytes // 1024} KiB，请分成多个文件上传 / the file exceeds"
                         f" {limits.max_bytes // 1024} KiB: upload it in parts")
    return await uploads.import_file(runtime, writer.caller, writer.district, content, file.filename or "",
                                     limits, request_id, record_type)
