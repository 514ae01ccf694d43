"""The `stations` command line."""

from typing import Any

import jwt
import psycopg
import pytest
import typer
from typer.testing import CliRunner

from api import auth
from stations.cli import app
from stations.settings import get_settings

SECRET = "a-cli-test-secret-of-at-least-32-characters"


@pytest.fixture
def runner(monkeypatch, tmp_path) -> CliRunner:
    """Production settings, as an operator's shell has them (`token` never connects to the database)."""
    monkeypatch.setenv("STATIONS_JWT_SECRET", SECRET)
    monkeypatch.setenv("STATIONS_DATABASE_URL", "postgresql://db.invalid/stations")
    monkeypatch.setenv("STATIONS_READER_DATABASE_URL", "postgresql://stations_reader@db.invalid/stations")
    monkeypatch.setenv("STATIONS_SIGNING_KEY_FILE", str(tmp_path / "signing-key.pem"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_token_mints_a_token_the_service_accepts(runner):
    result = runner.invoke(app, ["token", "--role", "station", "--district", "350203", "--town", "350203001"])

    assert result.exit_code == 0, result.output
    caller = auth.decode(SECRET, result.stdout.strip())
    assert (caller.role, caller.district, caller.town) == ("station", "350203", "350203001")


@pytest.mark.parametrize("args", [
    ["--role", "station", "--district", "350203"],                       # no town
    ["--role", "district"],                                              # no district
    ["--role", "station", "--district", "350203", "--town", "350206001"],  # town of another district
    ["--role", "mayor"],
])
def test_token_refuses_claims_that_do_not_fit_the_role(runner, args):
    result = runner.invoke(app, ["token", *args])
    assert result.exit_code != 0


def commands(group: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every command and group under a typer group, by its path of names."""
    found = []
    for name, command in group.commands.items():
        found.append(((*path, name), command))
        found += commands(command, (*path, name)) if hasattr(command, "commands") else []
    return found


def test_migrate_makes_every_store_owned_by_the_owner_and_runs_again(runner, monkeypatch, database_url):
    monkeypatch.setenv("STATIONS_MIGRATE_DATABASE_URL", database_url)
    for _ in range(2):
        result = runner.invoke(app, ["migrate"])
        assert result.exit_code == 0, result.output
    with psycopg.connect(database_url) as conn:
        stores = conn.execute("SELECT schemaname || '.' || tablename, tableowner FROM pg_tables"
                              " WHERE schemaname ~ '^(district_[0-9]{6}|city_store)$'").fetchall()
        schemas = conn.execute("SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace"
                               " WHERE nspname IN ('city_store', 'district_350203')").fetchall()
    assert {"city_store.events", "district_350203.events", "district_350203.chain"} <= {name for name, _ in stores}
    assert sorted(schemas) == [("city_store", "stations_owner"), ("district_350203", "stations_owner")]
    assert {owner for _, owner in stores} == {"stations_owner"}


def test_move_district_is_refused_in_citus_mode_before_connecting(runner, monkeypatch):
    monkeypatch.setenv("STATIONS_CITUS", "true")  # the database named is .invalid: never reached
    result = runner.invoke(app, ["move-district", "--district", "350203", "--to", "postgresql://db.invalid/other"])

    assert result.exit_code == 1, result.output
    assert "citus_move_shard_placement" in result.output and "in Citus mode" in result.output


def test_every_command_says_what_it_does_in_one_line(runner):
    every = commands(typer.main.get_command(app))
    assert {("report", "show"), ("audit", "verify"), ("rebuild",), ("serve",)} <= {path for path, _ in every}
    for path, command in every:
        assert command.help and len(command.help.strip().splitlines()) == 1, f"{' '.join(path)}: {command.help!r}"
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0 and command.help.strip().split()[0] in result.output


def test_token_warns_when_minted_with_production_settings(runner, monkeypatch, tmp_path):
    monkeypatch.setenv("STATIONS_ENVIRONMENT", "production")
    monkeypatch.setenv("STATIONS_SIGNING_KEY_FILE", str(tmp_path / "key.pem"))
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.invalid/stations")
    monkeypatch.setenv("STATIONS_READER_DATABASE_URL", "postgresql://stations_reader@db.invalid/stations")
    get_settings.cache_clear()

    result = runner.invoke(app, ["token", "--role", "city"])

    assert result.exit_code == 0
    assert "production" in result.output


def test_production_refuses_the_development_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("STATIONS_ENVIRONMENT", "production")
    monkeypatch.setenv("STATIONS_SIGNING_KEY_FILE", str(tmp_path / "key.pem"))
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.invalid/stations")
    monkeypatch.setenv("STATIONS_READER_DATABASE_URL", "postgresql://stations_reader@db.invalid/stations")
    monkeypatch.delenv("STATIONS_JWT_SECRET", raising=False)
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="STATIONS_JWT_SECRET"):
        get_settings()
    get_settings.cache_clear()


@pytest.mark.parametrize("hours, lives", [(None, 8), ("1", 1), ("720", 720)])
def test_token_lives_8_hours_by_default_and_at_most_720(runner, hours, lives):
    result = runner.invoke(app, ["token", "--role", "city", *(["--hours", hours] if hours else [])])
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.stdout.strip(), SECRET, algorithms=[auth.ALGORITHM], audience=auth.AUDIENCE)
    assert claims["exp"] - claims["iat"] == lives * 3600
    assert claims["jti"] in result.stderr


@pytest.mark.parametrize("hours", ["0", "721", "100000"])
def test_token_refuses_hours_out_of_bounds(runner, hours):
    result = runner.invoke(app, ["token", "--role", "city", "--hours", hours])
    assert result.exit_code != 0 and not result.stdout.strip()


@pytest.mark.parametrize("scope", [[], ["--district", "350203", "--city"]])
def test_audit_export_takes_a_district_or_the_city(runner, tmp_path, scope):
    result = runner.invoke(app, ["audit", "export", *scope, "--period", "2025H1", "--out", str(tmp_path / "b.json")])
    assert result.exit_code == 2 and "give either --district D or" in result.output, result.output
    assert not (tmp_path / "b.json").exists()
