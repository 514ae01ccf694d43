"""`stations bench` at the smoke size: every figure printed, judged and written (no speed asserted)."""

import json

import pytest
import typer
from typer.testing import CliRunner

from bench.goals import GOALS
from stations.cli import app


def test_bench_prints_and_writes_every_figure(tmp_path):
    out = tmp_path / "bench.json"

    result = CliRunner().invoke(app, ["bench", "--size", "smoke", "--json", str(out)])

    assert result.exit_code == 0, result.output
    printed = dict(line.split(": ", 1) for line in result.output.splitlines() if ": " in line and "│" not in line)
    written = json.loads(out.read_text(encoding="utf-8"))
    for name in GOALS:
        assert float(printed[name]) >= 0
        assert name in result.output.split("stations bench", 1)[1]  # a row of the table
        assert isinstance(written["figures"][name], int | float)
        assert set(written["goals"][name]) == {"better", "goal", "must_reach", "reaches_goal", "reaches_must"}
    assert written["size"] == "smoke" and written["figures"]["events"] > 0
    # The store's own write, beside the ingest it bounds.
    assert written["figures"]["store_write_records_per_s"] > 0 and float(printed["ingest_ceiling_ratio"]) > 0
    # Issue 35's CPU a record is the sum of its split by process, which the table's caption repeats.
    split = [written["figures"][f"ingest_{part}_cpu_us_per_record"] for part in ("service", "worker", "database")]
    assert written["figures"]["ingest_cpu_us_per_record"] == pytest.approx(sum(split))
    assert "ingest CPU µs a record: API" in result.output


def test_scale_out_and_load_and_reads_are_options_of_their_own():
    """Parsed only: the scale-out run starts the service three times, too long for the suite; the
    load-and-reads run is scripts/bench-citus's."""
    bench = typer.main.get_command(app).commands["bench"]

    assert bench.make_context("bench", ["--scale-out", "--size", "quick"]).params["scale_out"] is True
    assert bench.make_context("bench", ["--size", "quick"]).params["scale_out"] is False
    assert bench.make_context("bench", ["--load-and-reads"]).params["load_and_reads"] is True
    assert bench.make_context("bench", []).params["load_and_reads"] is False


def test_load_and_reads_prints_and_writes_its_figures(tmp_path):
    out = tmp_path / "bench.json"

    result = CliRunner().invoke(app, ["bench", "--load-and-reads", "--size", "smoke", "--json", str(out)])

    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text(encoding="utf-8"))["figures"]
    assert set(figures) == {"events", "batch_1000_records_per_s", "catch_up_seconds_10x", "district_report_ms_p50",
                            "city_report_ms_p50", "city_report_ms_p99"}
    assert figures["events"] > 0 and figures["city_report_ms_p99"] >= figures["city_report_ms_p50"] > 0
    assert "stations bench --load-and-reads" in result.output


def test_floor_steps_count_the_rows_they_store(tmp_path):
    """`--floor` at the smoke size: each step stored every row it was given (counted back from its
    tables), the steps after the write path were given its very rows, and the floor is the store's
    write and the projection added (no speed asserted)."""
    out = tmp_path / "floor.json"

    result = CliRunner().invoke(app, ["bench", "--floor", "--size", "smoke", "--json", str(out)])

    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text(encoding="utf-8"))
    steps, figures = written["steps"], written["figures"]
    assert list(steps) == ["a", "b", "c0", "c", "h", "d", "e"]
    for name, step in steps.items():
        assert step["stored"] == step["records"] > 0, name
        assert step["cpu_us"] == pytest.approx(step["python_us"] + step["database_us"])
    assert {steps[name]["records"] for name in ("b", "c0", "c", "h", "e")} == {steps["d"]["records"]}
    assert steps["a"]["records"] >= 100_000  # the COPY goes round the same rows
    assert figures["floor_cpu_us_per_record"] == pytest.approx(steps["c"]["cpu_us"] + steps["e"]["cpu_us"])
    assert "stations bench --floor" in result.output
