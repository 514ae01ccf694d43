"""`stations`: the service's command line."""

import asyncio
import json
import logging
import signal
import time
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from api import auth
from api.auth import Role
from audit import bundle, offline
from audit.signing import SigningKey
from audit.verify import verify
from projections.rebuild import log_length
from projections import connections
from projections.reports import Scope
from projections.rebuild import rebuild as rebuild_district
from projections.worker import ProjectionWorker
from stations import clock
from stations.bootstrap import bootstrap
from stations.database import database, migrate
from stations.report_cli import report_app
from stations.settings import get_settings
from tenants.event_store import store_codes

app = typer.Typer(help="民政服务站报表服务 / Civil-affairs service stations reporting service.",
                  no_args_is_help=True, add_completion=False)
console = Console()


@app.command()
def serve(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
          workers: Annotated[int, typer.Option(help="API processes (1 with the embedded database)")] = 1) -> None:
    """Run the API; with no DATABASE_URL, on an embedded PostgreSQL kept in the data directory."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    if settings.database_url is None:
        if workers != 1:
            raise typer.BadParameter("the embedded database serves one process; set DATABASE_URL for more")
        console.print(f"[bold]嵌入式 PostgreSQL / embedded PostgreSQL[/] in {settings.data_dir / 'pgdata'}")
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)


@app.command()
def project() -> None:
    """Run the projection worker alone (when several API processes run with run_projections off)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()

    async def follow(url: str) -> None:
        pool = await connections.create_pool(url, min_size=1, max_size=settings.projection_pool_size)
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stopping.set)
        try:
            await ProjectionWorker(pool).run(url, stopping)
        finally:
            await pool.close()

    with database(settings.database_url, settings.data_dir) as url:
        bootstrap(settings, url).close()  # the schema and every store exist before following them
        console.print("投影进程已启动 / projection worker running (Ctrl-C stops it)")
        asyncio.run(follow(url))


@app.command()
def rebuild(district: Annotated[str | None, typer.Option(help="one district's code (default: every store)")] = None
            ) -> None:
    """Rebuild the report tables from the event logs; reads go on meanwhile."""
    settings = get_settings()

    async def run(url: str) -> None:
        pool = await connections.create_pool(url, min_size=1, max_size=2)
        try:
            async with pool.acquire() as conn:
                stores = [district] if district else await store_codes(conn)
            with Progress(*Progress.get_default_columns(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                          console=console) as bar:
                for store in stores:
                    task = bar.add_task(f"重建 / rebuilding {store}", total=await log_length(pool, store), rate="")
                    started = time.perf_counter()

                    def advance(done: int, task: TaskID = task, started: float = started) -> None:
                        bar.advance(task, done)
                        rate = bar.tasks[task].completed / max(time.perf_counter() - started, 1e-9)
                        bar.update(task, rate=f"{rate:,.0f} events/s")

                    await rebuild_district(pool, store, advance)
        finally:
            await pool.close()

    with database(settings.database_url, settings.data_dir) as url:
        migrate(url)
        asyncio.run(run(url))


audit_app = typer.Typer(help="审计：验证哈希链与检查点 / Audit: verify the hash chain and checkpoints.",
                        no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(report_app, name="report")


@audit_app.command("verify")
def audit_verify(district: Annotated[str | None, typer.Option(help="one district's code (default: every store)")]
                 = None) -> None:
    """Recompute the hash chain and every checkpoint's root; name the first bad position."""
    settings = get_settings()

    async def run(url: str, key: SigningKey) -> list[dict]:
        conn = await connections.connect(url)
        try:
            stores = [district] if district else await store_codes(conn)
            results = []
            with Progress(*Progress.get_default_columns(), MofNCompleteColumn(), console=console) as bar:
                task = bar.add_task("验证 / verifying", total=len(stores))
                for store in stores:
                    bar.update(task, description=f"验证 / verifying {store}")
                    results.append((await verify(conn, store, {key.key_id: key.public})).as_json())
                    bar.advance(task)
            return results
        finally:
            await conn.close()

    with database(settings.database_url, settings.data_dir) as url:
        migrate(url)
        results = asyncio.run(run(url, SigningKey.load_or_create(settings.signing_key_path)))
    table = Table("区 / store", "事件 / events", "检查点 / checkpoints", "结果 / result", "首个问题位置 / first bad")
    for r in results:
        table.add_row(r["district"], str(r["events"]), str(r["checkpoints"]),
                      "[green]完好 / intact[/]" if r["ok"] else "[red]被篡改 / tampered[/]",
                      "" if r["ok"] else str(r["first_bad_position"]))
    console.print(table)
    for r in results:
        for problem in r["problems"]:
            console.print(f"[red]{r['district']}[/] {problem['detail']}")
    if not all(r["ok"] for r in results):
        raise typer.Exit(1)


@audit_app.command("export")
def audit_export(district: Annotated[str, typer.Option(help="district code")],
                 period: Annotated[str, typer.Option(help="half year, e.g. 2025H1")],
                 out: Annotated[Path, typer.Option(help="file to write the bundle to")],
                 version: Annotated[str, typer.Option(help="submitted or approved")] = "submitted") -> None:
    """Write the report as submitted, the events behind it, their proofs and the public key."""
    settings = get_settings()

    async def run(url: str, runtime) -> dict:
        conn = await connections.connect(url)
        try:
            scope = Scope(district, period, runtime.tenants.divisions, clock.today())
            return await bundle.export(conn, scope, version, runtime.signing_key)
        finally:
            await conn.close()

    with database(settings.database_url, settings.data_dir) as url:
        runtime = bootstrap(settings, url)
        try:
            written = asyncio.run(run(url, runtime))
        except bundle.NothingToExport as exc:
            raise typer.BadParameter(str(exc)) from exc
        finally:
            runtime.close()
    out.write_text(json.dumps(written, ensure_ascii=False, indent=1), encoding="utf-8")
    console.print(f"已导出 / written: {out} ({len(written['events'])} events, checkpoint {written['checkpoint']['tree_size']})")


@audit_app.command("verify-bundle")
def audit_verify_bundle(file: Annotated[Path, typer.Argument(help="a bundle written by `stations audit export`")]
                        ) -> None:
    """Check a bundle offline: signature, inclusion proofs, and the figures against the events."""
    problems = offline.verify_bundle(file)
    for problem in problems:
        console.print(f"[red]✗[/] {problem}")
    if problems:
        raise typer.Exit(1)
    console.print("[green]✓ 审计包验证通过 / the bundle verifies[/]")


@app.command()
def token(role: Annotated[Role, typer.Option(help="station, district, city, auditor or admin")],
          district: Annotated[str | None, typer.Option(help="district code, for station and district")] = None,
          town: Annotated[str | None, typer.Option(help="town code, for station")] = None,
          sub: Annotated[str | None, typer.Option(help="subject (defaults to the role and scope)")] = None,
          hours: Annotated[int | None, typer.Option(help="hours until it expires")] = None) -> None:
    """Mint a bearer token signed with this service's secret."""
    settings = get_settings()
    if settings.environment == "production":
        Console(stderr=True).print("[bold yellow]注意：正在用生产环境的密钥签发令牌 / warning: minting a token with"
                                   " production settings[/]")
    subject = sub or "-".join(filter(None, [role.value, district, town]))
    try:
        minted = auth.mint(settings.jwt_secret.get_secret_value(), sub=subject, role=role, district=district,
                           town=town, hours=hours or settings.token_hours)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(minted)


if __name__ == "__main__":
    app()
