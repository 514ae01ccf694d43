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
          json_file: Annotated[Path | None, typer.Option("--json", help="write the figures to this file")] = None
          ) -> None:
    """Measure the service against the machine's own limits (each figure beside a baseline of the same run)."""
    # Imported here, not with the module: `stations serve` and its worker process import this
    # command, and would each hold the bench's HTTP client and load generator (9 MB).
    from bench.run import SIZES, measure

    figures = asyncio.run(measure(SIZES[size.value]))  # printed as they are measured
    Console().print(table(figures))
    if json_file is not None:
        json_file.write_text(json.dumps(as_json(size.value, figures), indent=1), encoding="utf-8")


def table(figures: dict[str, Any]) -> Table:
    table = Table("figure", "value", "goal", "must reach", "", title="stations bench")
    for name, (better, goal, must) in GOALS.items():
        sign = "≥" if better == "higher" else "≤"
        value = figures[name]
        mark = "[green]✓[/]" if reached(name, value, must) else "[red]✗[/]"
        table.add_row(name, f"{value:.3f}" if isinstance(value, float) else str(value), f"{sign} {goal}",
                      f"{sign} {must}", mark)
    return table


def as_json(size: str, figures: dict[str, Any]) -> dict[str, Any]:
    return {"size": size, "figures": figures,
            "goals": {name: {"better": better, "goal": goal, "must_reach": must,
                             "reaches_goal": reached(name, figures[name], goal),
                             "reaches_must": reached(name, figures[name], must)}
                      for name, (better, goal, must) in GOALS.items()}}
