"""With nothing set the service is production, and production refuses to start on settings that
would let anyone in: the public development secret, a short one, no database, `test`."""

import subprocess
import sys

import pytest
from pydantic import ValidationError

from stations.settings import DEVELOPMENT_SECRET, Settings

STRONG = "kQ7v-Xp2LmZ9aR4tWc8yBn3dFh6jSe1u"
WELL_SET = {"database_url": "postgresql://db.invalid/stations", "jwt_secret": STRONG,
            "reader_database_url": "postgresql://stations_reader@db.invalid/stations",
            "signing_key_file": "/etc/stations/signing-key.pem"}


@pytest.fixture(autouse=True)
def nothing_set(monkeypatch, tmp_path):
    for name in ("STATIONS_ENVIRONMENT", "STATIONS_JWT_SECRET", "STATIONS_DATABASE_URL", "DATABASE_URL",
                 "STATIONS_READER_DATABASE_URL", "STATIONS_SIGNING_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the working folder


def test_with_nothing_set_the_service_is_production():
    assert Settings(**WELL_SET).environment == "production"


@pytest.mark.parametrize("secret", [None, DEVELOPMENT_SECRET, "k" * 31, "密" * 10, "k" * 32, "ab" * 40, "0123456789" * 4],
                         ids=["unset", "the-public-default", "31-bytes", "10-characters-of-30-bytes", "one-character",
                              "a-pattern", "ten-digits-over-and-over"])
def test_production_refuses_a_secret_anyone_could_know_or_guess(secret):
    given = {**WELL_SET, "jwt_secret": secret} if secret else {k: v for k, v in WELL_SET.items() if k != "jwt_secret"}
    with pytest.raises(ValidationError, match="STATIONS_JWT_SECRET") as refused:
        Settings(**given)
    assert "secrets.token_urlsafe(48)" in str(refused.value)


def test_production_refuses_to_start_without_a_database_url():
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        Settings(**{**WELL_SET, "database_url": None})


def test_production_refuses_to_start_without_a_reader_login_of_its_own():
    """Production never derives the reader's login (a password-less one) from the writer's URL."""
    with pytest.raises(ValidationError, match="STATIONS_READER_DATABASE_URL"):
        Settings(**{**WELL_SET, "reader_database_url": None})


def test_test_is_no_longer_a_way_around_the_checks():
    with pytest.raises(ValidationError):
        Settings(environment="test", database_url=None)


def test_development_is_an_explicit_opt_in_that_runs_on_the_defaults():
    settings = Settings(environment="development")
    assert settings.jwt_secret.get_secret_value() == DEVELOPMENT_SECRET and settings.database_url is None


def test_the_command_line_refuses_to_serve_and_says_how_to_make_a_secret(tmp_path):
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "STATIONS_DATA_DIR": str(tmp_path)}
    ran = subprocess.run([sys.executable, "-m", "stations.cli", "serve"], env=environment, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode != 0
    assert "refusing to start" in ran.stderr and "secrets.token_urlsafe(48)" in ran.stderr
    assert "Traceback" not in ran.stderr and DEVELOPMENT_SECRET not in ran.stderr
