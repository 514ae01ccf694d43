"""The `stations` commands say what they do; `stations demo --jsonl` writes the year for import."""

import json

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from demo import DemoYear
from stations.cli import app
from stations.settings import get_settings


def commands(group, path=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


@pytest.mark.parametrize("path", [path for path, _ in commands(get_command(app))], ids=" ".join)
def test_every_command_says_in_one_line_what_it_does(path):
    command = dict(commands(get_command(app)))[path]
    first_line = (command.help or "").strip().splitlines()[0] if command.help else ""
    assert len(first_line) > 20 and first_line.endswith(".")
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0 and first_line[:30] in " ".join(result.output.split())


def test_demo_writes_the_year_as_json_lines(tmp_path):
    out = tmp_path / "year.jsonl"
    result = CliRunner().invoke(app, ["demo", "--services", "200", "--seed", "3", "--jsonl", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    expected = DemoYear(3, 200)
    assert len(lines) == expected.total()
    assert lines[0] == {"district": expected.districts[0].code, **next(expected.batches())[1][0]}


def test_demo_is_never_loaded_in_production(monkeypatch, tmp_path):
    monkeypatch.setenv("STATIONS_ENVIRONMENT", "production")
    monkeypatch.setenv("STATIONS_JWT_SECRET", "a-production-secret-of-at-least-32-characters")
    monkeypatch.setenv("STATIONS_SIGNING_KEY_FILE", str(tmp_path / "key.pem"))
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.invalid/stations")
    monkeypatch.setenv("STATIONS_READER_DATABASE_URL", "postgresql://stations_reader@db.invalid/stations")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["demo", "--services", "10"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code != 0 and "production" in result.output
