"""`stations demo` and `stations import`: a living year to look at, and records brought in from a file."""

import asyncio
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, \
    TimeRemainingColumn
from rich.text import Text

from api import auth
from demo.generator import DEFAULT_SEED, DEFAULT_SERVICES, DemoYear
from domain.errors import BatchRejected, RecordConflict
from service import demo_load
from stations import importer
from service.runtime import Runtime
from stations.bootstrap import bootstrap
from stations.database import database
from stations.settings import Settings, settings_or_exit

console = Console()


class RateColumn(ProgressColumn):
    """How fast the task goes, in its own unit (the task's `unit` field)."""

    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit", "records")
        return Text(f"{task.speed:,.0f} {unit}/s" if task.speed else "", style="progress.data.speed")


def progress_bar() -> Progress:
    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    RateColumn(), TimeRemainingColumn(), console=console)


def refuse_in_production(settings: Settings) -> None:
    if settings.environment == "production":
        raise typer.BadParameter("演示数据不能写入生产环境 / demo data is never written in production")


def load(runtime: Runtime, url: str, demo: DemoYear) -> demo_load.Tally:
    """Write the demo year wave after wave (`demo_load.waves`): each wave's records, the reports
    brought up to them, then the reporting chain's steps of the half year it ends."""
    tally = demo_load.Tally()
    with progress_bar() as bar:
        stores = runtime.tenants.stores()

        def project(what: str) -> None:
            lagging = asyncio.run(demo_load.behind(url, stores))
            task = bar.add_task(what, total=sum(lagging.values()), unit="events")
            asyncio.run(demo_load.project(url, stores, lambda n: bar.advance(task, n)))

        async def chain(steps: list, advance: Callable[[int], None]) -> None:
            async with runtime.reading(follow=False, pool_size=demo_load.WRITERS):
                await demo_load.take_steps(runtime, steps, tally, advance)

        records = bar.add_task("写入记录 / recording", total=demo.total())
        districts = demo_load.streams(demo)
        for wave in demo_load.waves(demo.year):
            asyncio.run(demo_load.write_records(runtime, demo, districts, wave.until, tally,
                                                lambda n: bar.advance(records, n)))
            project(f"生成报表 / projecting {wave.name}")
            if wave.reports:
                steps = demo_load.pending_steps(runtime, demo, tally, wave.reports)
                task = bar.add_task(f"报送审核 / reporting {wave.reports}", total=len(steps), unit="steps")
                asyncio.run(chain(steps, partial(bar.advance, task)))
                project(f"更新报表 / projecting {wave.reports}'s chain")
            asyncio.run(demo_load.next_second())
    return tally


def say(tally: demo_load.Tally, demo: DemoYear) -> None:
    if tally.added_nothing:
        console.print(f"[green]演示数据已齐全，未新增任何内容 / the demo year is already there: nothing added[/]"
                      f" ({tally.duplicates:,} records, {tally.steps_done_before} report steps)")
        return
    console.print(f"[green]已写入 / written[/]: {tally.accepted:,} new records ({tally.duplicates:,} already there),"
                  f" {tally.steps_taken} report steps ({tally.steps_done_before} already taken);"
                  f" seed {demo.seed}, {demo.services:,} services, {len(demo.districts)} districts")


def demo(seed: Annotated[int, typer.Option(help="the random seed: the same seed gives the same year")] = DEFAULT_SEED,
         services: Annotated[int, typer.Option(min=0, help="how many services in the year")] = DEFAULT_SERVICES,
         jsonl: Annotated[Path | None, typer.Option(help="write the year to this JSON Lines file instead of the"
                                                         " database (for `stations import`)")] = None) -> None:
    """Fill the database with a seeded demo year of Xiamen's 6 districts and 45 towns (idempotent)."""
    year = DemoYear(seed, services)
    if jsonl is not None:
        write_jsonl(year, jsonl)
        return
    settings = settings_or_exit()
    refuse_in_production(settings)
    with database(settings.database_url, settings.data_dir) as url:
        runtime = bootstrap(settings, url)
        try:
            say(load(runtime, url, year), year)
        except (BatchRejected, RecordConflict) as exc:
            clash(exc)
            raise typer.Exit(1) from exc
        finally:
            runtime.close()


def clash(exc: BatchRejected | RecordConflict) -> None:
    """The database holds records the demo's contradict: another demo (seed, size) or real work."""
    console.print("[red]演示数据与库中已有记录冲突（另一个种子或规模的演示，或真实记录），请使用新的数据库\n"
                  "the demo clashes with records already in the database (a demo of another seed or size, or"
                  " real work): use a fresh database[/]")
    problems = [f"{p.record_id}: {p.zh} / {p.en}" for p in exc.problems] if isinstance(exc, BatchRejected) \
        else [f"{rid}: 编号已用于其他内容 / id used for other content" for rid in exc.record_ids]
    for problem in problems[:5]:
        console.print(f"  {problem}", markup=False)


def load_once(settings: Settings, url: str) -> None:
    """For `serve --demo`: load the default demo year unless its reporting chain is already complete."""
    refuse_in_production(settings)
    year = DemoYear()
    runtime = bootstrap(settings, url)
    try:
        if demo_load.demo_loaded(runtime, year):
            console.print("演示数据已载入 / demo data already loaded")
            return
        console.print("首次启动：载入演示数据 / first start: loading the demo year (once)")
        say(load(runtime, url, year), year)
    except (BatchRejected, RecordConflict) as exc:
        clash(exc)  # the service starts all the same, on what the database holds
    finally:
        runtime.close()


def write_jsonl(year: DemoYear, out: Path) -> None:
    with progress_bar() as bar, out.open("w", encoding="utf-8") as f:
        task = bar.add_task(f"导出 / writing {out.name}", total=year.total())
        for district, batch in year.batches():
            f.writelines(json.dumps({"district": district, **r}, ensure_ascii=False) + "\n" for r in batch)
            bar.advance(task, len(batch))
    console.print(f"[green]已导出 / written[/]: {out}")


IMPORT_HELP = ("Send a JSON Lines file of records through the HTTP API, in batches, resumably; or a spreadsheet"
               " (.xlsx, .csv) made from a template, to the imports route.")
IMPORT_DETAILS = "\n\n".join((
    "Each line is one record object as POST /v1/districts/{district}/records takes it, with a `district` member"
    " naming its district (or give --district for a file of one district), e.g.",
    '{"district": "350203", "id": "svc-1", "type": "service_delivered", "town": "350203001", ...}',
    "The import writes with the role of the token it is given (--token or STATIONS_TOKEN): a station's token"
    " (stations token --role station --district D --town T) imports that station's own records (services,"
    " rectifications, self-evaluations, progress notes, its provider staff), a town's its town government's"
    " and, on their behalf, its station's; a district's token anything of the district's towns but the city's"
    " records. A district-, town- or station-scoped token writes into its own district only: lines naming"
    " none go there without --district, and a --district or a line of another district is refused before it"
    " is sent. A record the token may not write (another level's duty, or another town's) stops the import"
    " at its batch, naming its line and the record's owner; nothing of that batch is stored (docs/duties.md).",
    "Without --token, outside production, a district token is minted per district with this service's secret.",
    "A state file beside the input (FILE.import-state.json) keeps the line the service last acknowledged: run the"
    " same command again after an interruption and it goes on from there, sending nothing twice. A batch the"
    " service refuses stops the import, naming its lines and the problems.",
    "An .xlsx or .csv file (GET /v1/templates/{record_type}.xlsx) goes whole to POST /v1/districts/{district}/imports:"
    " every row is checked first and any bad one stores nothing, naming its sheet, row and column; its rows' ids"
    " are made from the file, so running the command again stores nothing twice (the rows come back duplicate).",
))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
    app.command("import", help=IMPORT_HELP, epilog=IMPORT_DETAILS)(import_records)


def import_records(
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the JSON Lines file, or an .xlsx or .csv spreadsheet")],
        url: Annotated[str, typer.Option(help="the service's address")] = "http://127.0.0.1:8000",
        token: Annotated[str | None, typer.Option(envvar="STATIONS_TOKEN", help="bearer token, whose role writes"
                                                  " (default: a district token minted per district with this"
                                                  " service's secret, outside production)")]
        = None,
        district: Annotated[str | None, typer.Option(help="district of lines that name none (default: the"
                                                     " district a scoped token is for)")] = None,
        batch: Annotated[int, typer.Option(min=1, max=1000, help="records per request")] = 1000,
        limit: Annotated[int | None, typer.Option(min=0, help="send at most this many records (whole batches)"
                                                  " and stop")] = None,
        restart: Annotated[bool, typer.Option(help="ignore the state file and start from the first line")] = False,
        retries: Annotated[int, typer.Option(min=0, help="times to retry a batch the service could not take now"
                                             " (503, lost connection), backing off")] = importer.RETRIES,
) -> None:
    """Send a JSON Lines file of records through the HTTP API, in batches, resumably."""
    token_for = tokens(token)
    only = auth.claimed(token).district if token is not None else None
    if only is not None and district not in (None, only):
        raise typer.BadParameter(f"令牌只能写入区 {only}，不能写入 {district} / the token writes into district {only},"
                                 f" not {district}", param_hint="--district")
    district = district or only
    if file.suffix.lower() in importer.SPREADSHEETS:
        _upload(file, url, token_for, district, retries)
        return
    path = importer.state_path(file)
    start = 0 if restart or not path.exists() else importer.State.load(path, url).offset

    async def run() -> importer.Summary:
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            with progress_bar() as bar:
                task = bar.add_task(f"导入 / importing {file.name}", total=importer.count_lines(file, start))
                return await importer.import_file(client, file, token_for=token_for, district=district,
                                                  batch_size=batch, limit=limit, restart=restart,
                                                  retries=retries, advance=lambda n: bar.advance(task, n),
                                                  only_district=only)
    try:
        summary = asyncio.run(run())
    except importer.ImportStopped as stop:
        _stopped(stop)
    state = summary.state
    console.print(f"[green]已发送 / sent[/] {summary.sent:,} records in {summary.batches} batches:"
                  f" {summary.accepted:,} accepted, {summary.duplicates:,} duplicates;"
                  f" acknowledged up to line {state.line} (state: {path})")
    if summary.stopped_by_limit:
        console.print(f"已达 --limit {limit}，其余未发送 / stopped at --limit {limit}; run again to send the rest")


def _stopped(stop: importer.ImportStopped) -> None:
    console.print(f"[red]导入停止：{stop.zh}\nimport stopped: {stop.en}[/]")
    for line in stop.details:
        console.print(f"  {line}", markup=False)
    raise typer.Exit(1) from stop


def _upload(file: Path, url: str, token_for, district: str | None, retries: int) -> None:
    """An .xlsx or .csv file, sent whole to the service's imports route."""
    if district is None:
        raise typer.BadParameter("表格须指明区 / give the district of a spreadsheet", param_hint="--district")

    async def run() -> importer.Summary:
        async with httpx.AsyncClient(base_url=url, timeout=300) as client:
            return await importer.upload_spreadsheet(client, file, district, token_for(district), retries)
    try:
        summary = asyncio.run(run())
    except importer.ImportStopped as stop:
        _stopped(stop)
    console.print(f"[green]已上传 / uploaded[/] {file.name}: {summary.sent:,} rows, {summary.accepted:,} accepted,"
                  f" {summary.duplicates:,} duplicates")


def tokens(token: str | None):
    """The given token for every district, or one minted per district with the development secret."""
    if token is not None:
        return lambda _: token
    settings = settings_or_exit()
    if settings.environment == "production":
        raise typer.BadParameter("生产环境须提供 --token / give --token in production")
    secret = settings.jwt_secret.get_secret_value()
    minted: dict[str, str] = {}

    def mint(district: str) -> str:
        if district not in minted:
            minted[district] = auth.mint(secret, sub="import", role=auth.Role.district, district=district,
                                         issuer=settings.token_issuer, audience=settings.token_audience)
        return minted[district]
    return mint
