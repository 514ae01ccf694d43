"""The `stations bench` command: run the measurements, print them, judge them, write JSON."""

import asyncio
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bench.goals import GOALS, reached


class SizeName(StrEnum):
    quick = "quick"
    large = "large"
    smoke = "smoke"


def bench(size: Annotated[SizeName, typer.Option(help="quick: 100,000 events, under 3 minutes; large: 10 million"
                                                      " across 45 towns; smoke: a few hundred, for the tests")]
          = SizeName.quick,
          json_file: Annotated[Path | None, typer.Option("--json", help="write the figures to this file")] = None,
          scale_out: Annotated[bool, typer.Option("--scale-out", help="instead: the batch load alone against 1, 2"
                                                  " and 4 API processes (serve --workers), records/s and CPU a record"
                                                  " of each")] = False,
          load_and_reads: Annotated[bool, typer.Option("--load-and-reads", help="instead: the batch load's records/s"
                                                       " and the reports' p50/p99 at 10x alone (scripts/bench-citus:"
                                                       " on a Citus cluster and on one node)")] = False,
          floor: Annotated[bool, typer.Option("--floor", help="instead: the CPU a record of the store's write and"
                                              " the projection alone, against the service's write path in process"
                                              " and a COPY (issue 35's floor, bench/README.md section 45)")] = False
          ) -> None:
    """Measure the service against the machine's own limits (each figure beside a baseline of the same run)."""
    # Imported here, not with the module: `stations serve` and its worker process import this
    # command, and would each hold the bench's HTTP client and load generator (9 MB).
    from bench.run import SIZES, measure

    if scale_out:
        from bench import scaleout

        rows = asyncio.run(scaleout.measure(SIZES[size.value]))
        Console().print(scale_out_table(rows))
        result: dict[str, Any] = {"size": size.value, "scale_out": rows}
    elif floor:
        from bench import floor as floor_steps

        measured = asyncio.run(floor_steps.measure(SIZES[size.value]))  # the arithmetic printed as it is worked out
        Console().print(floor_table(measured["steps"]))
        result = {"size": size.value, **measured}
    elif load_and_reads:
        from bench import scaleout

        figures = asyncio.run(scaleout.load_and_reads(SIZES[size.value]))
        Console().print(figures_table(figures))
        result = {"size": size.value, "figures": figures}
    else:
        figures = asyncio.run(measure(SIZES[size.value]))  # printed as they are measured
        Console().print(table(figures))
        result = as_json(size.value, figures)
    if json_file is not None:
        json_file.write_text(json.dumps(result, indent=1), encoding="utf-8")


def table(figures: dict[str, Any]) -> Table:
    table = Table("figure", "value", "goal", "must reach", "", title="stations bench")
    for name, (better, goal, must) in GOALS.items():
        sign = "≥" if better == "higher" else "≤"
        value = figures[name]
        mark = "[green]✓[/]" if reached(name, value, must) else "[red]✗[/]"
        table.add_row(name, f"{value:.3f}" if isinstance(value, float) else str(value), f"{sign} {goal}",
                      f"{sign} {must}", mark)
    if "ingest_cpu_us_per_record" in figures:  # the figure's split by process
        table.caption = ("ingest CPU µs a record: API {ingest_service_cpu_us_per_record:.1f} + worker"
                         " {ingest_worker_cpu_us_per_record:.1f} + PostgreSQL {ingest_database_cpu_us_per_record:.1f}"
                         .format(**figures))
    return table


def figures_table(figures: dict[str, Any]) -> Table:
    table = Table("figure", "value", title="stations bench --load-and-reads")
    for name, value in figures.items():
        table.add_row(name, f"{value:.3f}" if isinstance(value, float) else str(value))
    return table


def scale_out_table(rows: list[dict[str, Any]]) -> Table:
    table = Table("API procs", "records/s", "API", "worker", "PG", "in all", "catch-up s", "catch-up",
                  title="stations bench --scale-out: the 10x load, CPU µs a record (PG: PostgreSQL)")
    for row in rows:
        table.add_row(str(row["api_processes"]), f"{row['records_per_s']:,.0f}",
                      *(f"{row[name]:.1f}" for name in ("service_cpu_us_per_record", "worker_cpu_us_per_record",
                                                        "database_cpu_us_per_record", "cpu_us_per_record",
                                                        "catch_up_seconds", "catch_up_cpu_us_per_record")))
    return table


FLOOR_STEPS = {"a": "COPY of the same rows", "b": "the library's recorder alone",
               "c0": "the store's write, chain but no index rows", "c": "the store's write: index rows and chain",
               "h": "of (c): the chain's hashes, Python only", "d": "the service's write path, no HTTP",
               "e": "the projection"}


def floor_table(steps: dict[str, dict[str, Any]]) -> Table:
    table = Table("step", "", "rows", "Python µs", "PG µs", "CPU µs", "wall µs",
                  title="stations bench --floor: a record's cost by step (PG: PostgreSQL's server)")
    for name, row in steps.items():
        table.add_row(name, FLOOR_STEPS[name], f"{row['records']:,}",
                      *(f"{row[part]:.1f}" for part in ("python_us", "database_us", "cpu_us", "wall_us")))
    return table


def as_json(size: str, figures: dict[str, Any]) -> dict[str, Any]:
    return {"size": size, "figures": figures,
            "goals": {name: {"better": better, "goal": goal, "must_reach": must,
                             "reaches_goal": reached(name, figures[name], goal),
                             "reaches_must": reached(name, figures[name], must)}
                      for name, (better, goal, must) in GOALS.items()}}
