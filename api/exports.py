"""The half-year reports as downloads: an Excel workbook (`.xlsx`) or CSV (`.csv`) of exactly the
JSON report, read by the very functions of `api.reports`, with the same callers, scopes and
query options (`version`, `as_of`, `min_position`).

Include this router before `api.reports`': its `{period}` would otherwise take `2025H1.xlsx`.
"""

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import reports
from api.deps import CallerDep, DistrictDep, ProgressDep, ReadPoolDep, ReadPoolsDep, ReadScopeDep, RuntimeDep
from api.reports import AsOf, CityReader, DistrictReader, MinPosition, Period, TownCode, Version
from exports import csv, xlsx
from exports.sheets import organisation, title
from service.runtime import Runtime

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
CityMinPosition = Annotated[str | None, Query(pattern=r"^[0-9]{6}:[0-9]+(,[0-9]{6}:[0-9]+)*$",
                                              description="district:position pairs, comma-separated")]


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
    name = title(organisation(report, district_name), report["period"])
    if report.get("version"):
        name += f"（{VERSION_ZH[report['version']]}）"
        fallback += f"-{report['version']}"
    return response_class(body, headers={"Content-Disposition": disposition(f"{name}.{extension}",
                                                                             f"{fallback}.{extension}")})


def district_name(runtime: Runtime, district: str, period: str) -> str | None:
    scope = reports.scope(runtime, district, period)
    version = scope.divisions.district(district, scope.cutoff)
    return version.name if version else None


def add_routes(extension: str) -> None:
    response_class, _, _ = FORMATS[extension]
    what = "Excel" if extension == "xlsx" else "CSV"

    @router.get(f"/v1/districts/{{district}}/reports/{{period}}.{extension}", response_class=response_class,
                responses=documented(extension), summary=f"区半年报表（{what}）/ A district's half-year report as {what}")
    async def district_download(district: DistrictDep, period: Period, caller: DistrictReader, runtime: RuntimeDep,
                                pool: ReadPoolDep, read_scope: ReadScopeDep, progress: ProgressDep,
                                version: Version = None, min_position: MinPosition = None,
                                as_of: AsOf = None) -> Response:
        report = await reports.get_district_report(district, period, caller, runtime, pool, read_scope, progress,
                                                   version=version, min_position=min_position, as_of=as_of)
        return await download(extension, report, f"stations-{district}-{period}")

    @router.get(f"/v1/districts/{{district}}/reports/{{period}}/towns/{{town}}.{extension}",
                response_class=response_class, responses=documented(extension),
                summary=f"镇(街道)半年报表（{what}）/ A town's half-year report as {what}")
    async def town_download(district: DistrictDep, period: Period, town: TownCode, caller: CallerDep,
                            runtime: RuntimeDep, pool: ReadPoolDep, read_scope: ReadScopeDep, progress: ProgressDep,
                            version: Version = None, min_position: MinPosition = None,
                            as_of: AsOf = None) -> Response:
        report = await reports.get_town_report(district, period, town, caller, runtime, pool, read_scope, progress,
                                               version=version, min_position=min_position, as_of=as_of)
        return await download(extension, report, f"stations-{district}-{period}-{town}",
                              district_name(runtime, district, period))

    @router.get(f"/v1/city/reports/{{period}}.{extension}", response_class=response_class,
                responses=documented(extension), summary=f"市半年报表（{what}）/ The city's half-year report as {what}")
    async def city_download(period: Period, _: CityReader, runtime: RuntimeDep, pools: ReadPoolsDep,
                            progress: ProgressDep, min_position: CityMinPosition = None,
                            as_of: AsOf = None) -> Response:
        city, parts = await reports.read_city(runtime, pools, progress, period, min_position, as_of)
        # The districts' projects, for the budget columns: the city's JSON leaves them out.
        districts = [{**d, "projects_detail": p["projects_detail"]}
                     for d, p in zip(city["districts"], parts, strict=True)]
        return await download(extension, {**city, "districts": districts}, f"stations-city-{period}")


for _extension in FORMATS:
    add_routes(_extension)
