"""The half-year reports as downloads: an Excel workbook (`.xlsx`) or CSV (`.csv`) of exactly the
JSON report, read by the very functions of `service.queries` the JSON routes call, with the same
callers, scopes and query options (`version`, `as_of`, `min_position`).

Include this router before `api.reports`': its `{period}` would otherwise take `2025H1.xlsx`.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.deps import CallerDep, DistrictDep, RuntimeDep
from api.reports import AsOf, CityMinPosition, CityReportReader, DistrictReader, MinPosition, Period, TownCode, Version
from exports import csv, xlsx
from exports.sheets import organisation, title
from service import queries

router = APIRouter(tags=["exports 导出"])


class XlsxResponse(Response):
    media_type = xlsx.MEDIA_TYPE


class CsvResponse(Response):
    media_type = csv.MEDIA_TYPE  # Starlette adds `; charset=utf-8`


FORMATS: dict[str, tuple[type[Response], Callable[..., bytes | str], str]] = {
    "xlsx": (XlsxResponse, xlsx.workbook, "Excel 工作簿 / an Excel workbook"),
    "csv": (CsvResponse, csv.csv_text, "CSV，UTF-8 带 BOM，每个数字一行 / CSV, UTF-8 with a BOM, one line per figure"),
}
VERSION_ZH = {"submitted": "已报送版", "approved": "已审核版"}


def documented(extension: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answer of a download: its media type, a file."""
    response_class, _, description = FORMATS[extension]
    return {200: {"description": description,
                  "content": {response_class.media_type: {"schema": {"type": "string", "format": "binary"}}}}}


def disposition(name: str, fallback: str) -> str:
    """An attachment named in Chinese (RFC 6266 and 5987), with an ASCII name for older clients."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def download(extension: str, report: dict[str, Any], fallback: str, district_name: str | None = None
                   ) -> Response:
    response_class, render, _ = FORMATS[extension]
    body = await run_in_threadpool(render, report, district_name=district_name)
    name = title(organisation(report, district_name), report["period"], report["level"])
    if report.get("version"):
        name += f"（{VERSION_ZH[report['version']]}）"
        fallback += f"-{report['version']}"
    return response_class(body, headers={"Content-Disposition": disposition(f"{name}.{extension}",
                                                                             f"{fallback}.{extension}")})


def add_routes(extension: str) -> None:
    response_class, _, _ = FORMATS[extension]
    what = "Excel" if extension == "xlsx" else "CSV"

    @router.get(f"/v1/districts/{{district}}/reports/{{period}}.{extension}", response_class=response_class,
                responses=documented(extension), summary=f"区半年报表（{what}）/ A district's half-year report as {what}")
    async def district_download(district: DistrictDep, period: Period, caller: DistrictReader, runtime: RuntimeDep,
                                version: Version = None, min_position: MinPosition = None,
                                as_of: AsOf = None) -> Response:
        report = await queries.district_report(runtime, caller, district, period, version=version,
                                               min_position=min_position, as_of=as_of)
        return await download(extension, report, f"stations-{district}-{period}")

    @router.get(f"/v1/districts/{{district}}/reports/{{period}}/towns/{{town}}.{extension}",
                response_class=response_class, responses=documented(extension),
                summary=f"镇(街道)半年报表（{what}）/ A town's half-year report as {what}")
    async def town_download(district: DistrictDep, period: Period, town: TownCode, caller: CallerDep,
                            runtime: RuntimeDep, version: Version = None, min_position: MinPosition = None,
                            as_of: AsOf = None) -> Response:
        report = await queries.town_report(runtime, caller, district, period, town, version=version,
                                           min_position=min_position, as_of=as_of)
        return await download(extension, report, f"stations-{district}-{period}-{town}",
                              queries.district_name(runtime, district, period))

    @router.get(f"/v1/city/reports/{{period}}.{extension}", response_class=response_class,
                responses=documented(extension), summary=f"市半年报表（{what}）/ The city's half-year report as {what}")
    async def city_download(period: Period, _: CityReportReader, runtime: RuntimeDep, min_position: CityMinPosition = None,
                            as_of: AsOf = None, version: Version = None) -> Response:
        return await download(extension, await queries.city_download(runtime, period, min_position=min_position,
                                                                     as_of=as_of, version=version),
                              f"stations-city-{period}")


for _extension in FORMATS:
    add_routes(_extension)
