"""`stations report`: a half-year report in the terminal, as rich tables in Chinese.

It reads the report through the very query the API's report routes call (`service.queries`),
on the server that holds the district: no service needs to be running. The tables are the
sheets of the Excel export (`exports.sheets`), so both show the same figures.
"""

import asyncio
import re
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from domain.values import PERIOD_PATTERN
from exports.model import Kind, Sheet, shown
from exports.sheets import sheets
from kernel import clock
from service import queries
from service.callers import OPERATOR
from service.errors import NotFound
from service.runtime import Runtime
from stations.bootstrap import bootstrap
from stations.database import database
from stations.settings import settings_or_exit

report_app = typer.Typer(help="报表：在终端查看半年报表 / Reports: read a half-year report in the terminal.",
                         no_args_is_help=True)


class Version(StrEnum):
    submitted = "submitted"
    approved = "approved"


@report_app.command("show")
def show(district: Annotated[str, typer.Option(help="district code, e.g. 350203")],
         period: Annotated[str, typer.Option(help="half year, e.g. 2025H1")],
         town: Annotated[str | None, typer.Option(help="one town's code (default: the district's report)")] = None,
         version: Annotated[Version | None, typer.Option(help="as submitted or approved (default: now)")] = None
         ) -> None:
    """Print a district's (or one town's) half-year report as tables, in Chinese."""
    if not re.fullmatch(PERIOD_PATTERN, period):
        raise typer.BadParameter(f"{period!r} 不是半年期，应如 2025H1 / not a half year such as 2025H1",
                                 param_hint="--period")
    console = Console()
    settings = settings_or_exit()
    with console.status("读取报表 / reading the report…"), database(settings.database_url, settings.data_dir) as url:
        runtime = bootstrap(settings, url)
        try:
            report, district_name = asyncio.run(_read(runtime, district, period, town, version))
        except NotFound as exc:
            console.print(f"[red]{_said(exc, district, period, town, version)}[/]")
            raise typer.Exit(1) from exc
        finally:
            runtime.close()
    for sheet in sheets(report, generated_at=clock.now(), district_name=district_name):
        render(console, sheet)


async def _read(runtime: Runtime, district: str, period: str, town: str | None,
                version: Version | None) -> tuple[dict[str, Any], str]:
    """The report the API would answer for these options (without `as_of`), by the same query,
    on the server that holds the district."""
    async with runtime.reading(follow=False, pool_size=1):
        await queries.known_district(runtime, district)
        kept = None if version is None else version.value
        report = await (queries.town_report(runtime, OPERATOR, district, period, town, version=kept) if town
                        else queries.district_report(runtime, OPERATOR, district, period, version=kept))
    return report, queries.district_name(runtime, district, period) or district


def _said(exc: NotFound, district: str, period: str, town: str | None, version: Version | None) -> str:
    """What was not found, as the terminal says it."""
    return {"district": f"区 {district} 不存在 / district {district} not found",
            "town": f"镇(街道) {town} 不在区 {district} / town {town} is not in district {district}",
            "report": f"{period} 无此报表 / no such {version or ''} report for {period}"}.get(exc.kind, str(exc))


def render(console: Console, sheet: Sheet) -> None:
    console.rule(f"[bold]{sheet.title}[/]")
    console.print("　　".join(f"{f.label}：{f.value}" for f in sheet.heading), justify="center")
    for fact in sheet.notes:
        console.print(f"[dim]{fact.label}：[/]{shown(fact.value, fact.kind)}")
    for part in sheet.tables:
        table = Table(part.header, *(c.label for c in part.columns), title=part.title, title_justify="left",
                      box=box.SIMPLE_HEAVY, title_style="bold")
        for column, spec in zip(table.columns, (None, *part.columns), strict=True):
            column.overflow = "fold"  # a narrow terminal wraps a heading or a number, never cuts it
            column.justify = "right" if spec and spec.kind is not Kind.text else "left"
        for row in part.rows:
            kinds = row.kinds or tuple(c.kind for c in part.columns)
            table.add_row("" if row.continued else row.label,
                          *(shown(v, k) for v, k in zip(row.values, kinds, strict=True)),
                          style="bold" if row.total else None, end_section=False)
        console.print(table)
    for fact in sheet.footer:
        console.print(f"[dim]{fact.label}：[/]{shown(fact.value, fact.kind)}")
