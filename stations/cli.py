"""`stations`: the service's command line."""

import asyncio
import json
import logging
import os
import signal
import tempfile
import time
import warnings
from contextlib import AsyncExitStack, ExitStack
from functools import partial
from pathlib import Path
from typing import Annotated

import prometheus_client
import typer
import uvicorn
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from api import auth
from audit import offline
from audit.checkpoints import Signer
from audit.signing import Keyring
from audit.witness import witnesses
from audit.verify import verify
from bench.cli import bench
from projections import connections
from projections.rebuild import log_length
from projections.rebuild import rebuild as rebuild_district
from projections.runner import run_worker
from service import audit_bundle as bundle
from service.callers import Role
from service.moving import MoveRefused, move_district
from service.runtime import Runtime
from stations import demo_cli, keys, logs, welcome
from kernel.collection import tune_garbage_collection
from stations.bootstrap import bootstrap, open_server, prepare
from stations.database import database, migrate
from stations.installation import InstallationChanged, pinned_installation
from stations.report_cli import report_app
from stations.settings import Settings, get_settings, settings_or_exit
from stations.worker_process import projection_process
from tenants import registry
from tenants.event_store import server_label
from tenants.stores import store_codes

app = typer.Typer(help="民政服务站报表服务 / Civil-affairs service stations reporting service.",
                  no_args_is_help=True, add_completion=False,
                  pretty_exceptions_show_locals=False)  # a crash's locals would print the secrets in settings
console = Console()
log = logging.getLogger("stations.cli")  # by name: `serve`'s worker runs this module as __main__
# platformdirs' warning on every command where XDG_RUNTIME_DIR is unset (a container, cron): /tmp serves as well.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")


@app.command()
def serve(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
          workers: Annotated[int, typer.Option(help="API processes")] = 1,
          demo: Annotated[bool, typer.Option("--demo", help="first load the demo year, once")] = False,
          verbose: Annotated[bool, typer.Option("--verbose", help="the embedded server's and the migrations'"
                                                " every step too")] = False) -> None:
    """Run the API; with no DATABASE_URL, on an embedded PostgreSQL kept in the data directory."""
    settings = settings_or_exit()
    logs.configure(settings.log_lines, verbose)
    signal.signal(signal.SIGTERM, _stop)
    try:
        _serve(settings, host, port, workers, demo, verbose)
    except _Stopped:  # everything above is stopped: end as the signal would have ended us
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)


class _Stopped(Exception):
    """SIGTERM, raised where the process is, so that what `serve` started (the worker, an
    embedded database) is stopped on the way out: uvicorn, once it has shut down gracefully,
    raises the signal again for the handler it found."""


def _stop(*_: object) -> None:
    raise _Stopped


def _serve(settings: Settings, host: str, port: int, workers: int, demo: bool, verbose: bool) -> None:
    keys.require_keys(settings)
    with database(settings.database_url, settings.data_dir) as url, ExitStack() as stack:
        if demo:
            demo_cli.load_once(settings, url)
        if settings.run_projections:
            stack.enter_context(projection_process(url, settings.shutdown_grace_seconds))
        # The API processes (uvicorn's, which read their settings afresh) use the server started
        # here, and leave projecting to the process above.
        os.environ.update(STATIONS_DATABASE_URL=url, STATIONS_RUN_PROJECTIONS="false")
        if workers > 1:  # each API process counts into files here, and any of them answers /metrics for all
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = stack.enter_context(tempfile.TemporaryDirectory(
                prefix="stations-metrics-"))
        get_settings.cache_clear()
        stack.callback(welcome.announce_when_up(settings, host, port, console))
        uvicorn.run("stations.app:create_app", factory=True, host=host, port=port, workers=workers,
                    timeout_graceful_shutdown=settings.shutdown_grace_seconds,
                    log_config=logs.config(settings.log_lines, verbose), access_log=False)  # `api.observe` logs requests


@app.command("migrate")
def migrate_command() -> None:
    """Apply the migrations and create every district's event store, as the database's owner."""
    settings = get_settings()
    logs.configure(settings.log_lines)
    with database(settings.migrate_database_url or settings.database_url, settings.data_dir) as url:
        prepare(settings, url)
    console.print(f"[green]✓ 已迁移 / migrated[/] {server_label(url)}: the schema, the registry and every"
                  " district's event store, owned by stations_owner (docs/database-roles.md)")


@app.command()
def project(parent: Annotated[int | None, typer.Option(
        help="stop when this process (the `serve` that started it) is gone")] = None) -> None:
    """Run the projection worker and the daily checkpoints alone (API processes with run_projections off)."""
    settings = settings_or_exit()
    logs.configure(settings.log_lines)
    os.nice(settings.projection_nice)  # before any thread starts: every thread of the process is niced

    async def follow(url: str, signs: Signer) -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stopping.set)
        async with AsyncExitStack() as stack:  # on exit each server's worker finishes its batch in hand
            if parent is not None:
                stack.callback(asyncio.create_task(orphaned(parent, stopping)).cancel)
            for server in await server_urls(url):
                await stack.enter_async_context(run_worker(
                    server, signs, pool_size=settings.projection_pool_size, snapshot_every=settings.snapshot_every,
                    batch_size=settings.projection_batch_size, label="" if server == url else server_label(server)))
            await stopping.wait()

    with database(settings.database_url, settings.data_dir) as url:
        runtime = bootstrap(settings, url)  # the schema and every store exist before following them
        try:
            signs = keys.signer(settings, runtime.tenants, url)  # witnesses in the city's store through it
            serve_metrics(settings)
            log.info("投影进程已启动 / projection worker running (Ctrl-C stops it)")
            tune_garbage_collection()
            asyncio.run(follow(url, signs))
        finally:
            runtime.close()


def serve_metrics(settings: Settings) -> None:
    """The worker's own /metrics, unless its port is 0 or taken: projecting matters more."""
    if settings.projection_metrics_port:
        try:
            prometheus_client.start_http_server(settings.projection_metrics_port, settings.projection_metrics_host)
        except OSError as exc:
            log.warning("the projection worker's metrics are not served on %s:%s: %s",
                                                settings.projection_metrics_host, settings.projection_metrics_port, exc)


async def orphaned(parent: int, stopping: asyncio.Event) -> None:
    """Stop once the parent has gone (a `serve` killed outright cannot stop its worker itself)."""
    while not stopping.is_set():
        if os.getppid() != parent:
            log.warning("the service (process %s) is gone; stopping", parent)
            stopping.set()
        await asyncio.sleep(0.5)


async def server_urls(url: str) -> list[str]:
    """The service's own database, then every other server a district is placed on."""
    conn = await connections.connect(url)
    try:
        return [url, *await registry.other_servers(conn)]
    finally:
        await conn.close()


@app.command()
def rebuild(district: Annotated[str | None, typer.Option(help="one district's code (default: every store)")] = None
            ) -> None:
    """Rebuild the report tables from the event logs; reads go on meanwhile."""
    settings = settings_or_exit()

    async def run(url: str) -> None:
        for server in await server_urls(url):
            await rebuild_server(server)

    async def rebuild_server(url: str) -> None:
        pool = await connections.create_pool(url, min_size=1, max_size=2)
        try:
            async with pool.acquire() as conn:
                stores = [s for s in await store_codes(conn) if district in (None, s)]
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


demo_cli.register(app)
app.command()(bench)


audit_app = typer.Typer(help="审计：验证哈希链与检查点 / Audit: verify the hash chain and checkpoints.",
                        no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(report_app, name="report")
app.add_typer(keys.keys_app, name="keys")


@audit_app.command("verify")
def audit_verify(district: Annotated[str | None, typer.Option(help="one district's code (default: every store)")]
                 = None) -> None:
    """Recompute the hash chain and every checkpoint's root; name the first bad position."""
    settings = settings_or_exit()

    async def run(url: str, keyring: Keyring, installation: str) -> list[dict]:
        results = []
        city = await connections.connect(url)  # the city's store
        try:
            for server in await server_urls(url):
                conn = await connections.connect(server)
                try:
                    stores = [s for s in await store_codes(conn) if district in (None, s)]
                    with Progress(*Progress.get_default_columns(), MofNCompleteColumn(), console=console) as bar:
                        task = bar.add_task("验证 / verifying", total=len(stores))
                        for store in stores:
                            bar.update(task, description=f"验证 / verifying {store}")
                            witnessed = await witnesses(city, settings.witness_path, installation, store)
                            results.append((await verify(conn, store, keyring, witnessed)).as_json())
                            bar.advance(task)
                finally:
                    await conn.close()
        finally:
            await city.close()
        if district is not None and not results:
            raise typer.BadParameter(f"没有区 {district} 的事件库 / no event store for district {district}")
        return results

    with database(settings.database_url, settings.data_dir) as url:
        migrate(url)
        keyring = Keyring.load(settings.keyring_path) if settings.keyring_path.exists() else Keyring([])
        try:  # the witness directory's, pinned: a database whose id changed is itself a finding
            installation = pinned_installation(settings, url)
        except InstallationChanged as exc:
            raise SystemExit(f"stations: {exc}") from None
        results = asyncio.run(run(url, keyring, installation))
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
def audit_export(period: Annotated[str, typer.Option(help="half year, e.g. 2025H1")],
                 out: Annotated[Path, typer.Option(help="file to write the bundle to")],
                 district: Annotated[str | None, typer.Option(help="district code")] = None,
                 city: Annotated[bool, typer.Option("--city", help="the city's report, with a district bundle for"
                                                               " each district it took")] = False,
                 version: Annotated[str, typer.Option(help="submitted or approved")] = "submitted") -> None:
    """Write a frozen report and its whole log up to a signed checkpoint; --city: each district's too."""
    if city == (district is not None):
        raise typer.BadParameter("给出 --district 或 --city 之一 / give either --district D or --city")
    settings = settings_or_exit()

    async def run(runtime: Runtime) -> dict:
        async with runtime.reading(follow=False, pool_size=1):
            if city:
                return await bundle.export_city(runtime, period, version)
            return await bundle.export(runtime, district, period, version)

    with database(settings.database_url, settings.data_dir) as url:
        runtime = bootstrap(settings, url)
        try:
            written = asyncio.run(run(runtime))
        except bundle.NothingToExport as exc:
            raise typer.BadParameter(str(exc)) from exc
        finally:
            runtime.close()
    out.write_text(json.dumps(written, ensure_ascii=False, indent=1), encoding="utf-8")
    districts = written.get("districts", [])
    events = sum(len(part["events"]) for part in [written, *districts])
    console.print(f"已导出 / written: {out} ({events} events, checkpoint {written['checkpoint']['tree_size']}"
                  f"{f'; the city and {len(districts)} districts' if city else ''})")


@audit_app.command("verify-bundle")
def audit_verify_bundle(
        file: Annotated[Path, typer.Argument(help="a bundle written by `stations audit export`")],
        key: Annotated[Path | None, typer.Option(help="trusted public keys in PEM (a keyring, as `stations keys`"
                                                      " writes, or the served `pem`), handed over out of band")] = None,
) -> None:
    """Check a bundle offline (a city's level by level): every figure recomputed (exit 1 named, 3 no --key)."""
    verdict = offline.verify_bundle(file, key)
    for problem in verdict.problems:
        console.print(f"[red]✗[/] {problem}", highlight=False, soft_wrap=True)
    if verdict.problems:
        raise typer.Exit(1)
    if not verdict.trusted:
        console.print("[yellow]? 审计包自洽，但未给出可信公钥 / the bundle holds together, but no trusted key was"
                      " given (--key)[/]", soft_wrap=True)
        raise typer.Exit(3)
    console.print("[green]✓ 审计包验证通过，每个数字均已复算 / the bundle verifies: every figure recomputed[/]", soft_wrap=True)


@app.command("move-district")
def move_district_command(
        district: Annotated[str, typer.Option(help="the district's code")],
        to: Annotated[str, typer.Option(help="the target server's postgresql:// URL, or 'home' for DATABASE_URL's")],
) -> None:
    """Move a district's event store and checkpoints to another PostgreSQL server (service stopped)."""
    settings = settings_or_exit()
    if settings.citus:  # refused before connecting: on a coordinator, Citus moves the district
        raise SystemExit(f"stations: {registry.CITUS_PLACES}")
    with database(settings.database_url, settings.data_dir) as url:
        runtime = bootstrap(settings, url)
        try:
            if not runtime.tenants.knows(district):
                raise typer.BadParameter(f"没有区 {district} / no district {district}")
            with Progress(TextColumn("{task.description}"), MofNCompleteColumn(), console=console) as bar:
                task = bar.add_task(f"迁移 / moving {district}", total=None)
                moved = move_district(runtime.datastore, url, district, runtime.tenants.server_of(district),
                                      None if to == "home" else to, open_server=partial(open_server, settings),
                                      advance=lambda rows: bar.advance(task, rows))
        except MoveRefused as exc:
            raise typer.BadParameter(str(exc)) from exc
        finally:
            runtime.close()
    console.print(f"[green]已迁移 / moved[/] {moved.district}: {moved.events} events, chain head {moved.chain_head},"
                  f" {moved.checkpoints} checkpoints; the drop is maintenance #{moved.maintenance} of the source"
                  " (stations_guard.maintenance). 重启服务后目标服务器上的投影进程将重建报表 / restart the"
                  " service: the target's projection worker rebuilds the district's reports")


@app.command()
def token(role: Annotated[Role, typer.Option(help="station, town, district, city, province, auditor or admin")],
          district: Annotated[str | None, typer.Option(help="district code, for station and district")] = None,
          town: Annotated[str | None, typer.Option(help="town code, for station")] = None,
          sub: Annotated[str | None, typer.Option(help="subject (defaults to the role and scope)")] = None,
          hours: Annotated[int | None, typer.Option(min=1, max=auth.MAX_TOKEN_HOURS, help="hours until it expires"
                                                    " (default STATIONS_TOKEN_HOURS, 8)")] = None) -> None:
    """Mint a bearer token signed with this service's secret."""
    settings = settings_or_exit()
    if settings.environment == "production":
        Console(stderr=True).print("[bold yellow]注意：正在用生产环境的密钥签发令牌 / warning: minting a token with"
                                   " production settings[/]")
    subject = sub or "-".join(filter(None, [role.value, district, town]))
    try:
        minted = auth.mint(settings.jwt_secret.get_secret_value(), sub=subject, role=role, district=district,
                           town=town, hours=hours or settings.token_hours, issuer=settings.token_issuer,
                           audience=settings.token_audience)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(minted)
    Console(stderr=True).print(f"令牌编号 / token id (jti): {auth.token_id(minted)} (STATIONS_REVOKED_TOKENS revokes it)")


if __name__ == "__main__":
    app()
