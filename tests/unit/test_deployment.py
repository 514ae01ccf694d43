"""The image and compose file fail closed as the service does: production, no secret of their own,
nothing published beyond the host, the settings file left out of git and of the image."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_image_runs_as_production_and_not_as_root():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^ENV STATIONS_ENVIRONMENT=production", dockerfile, re.M)
    assert re.search(r"^USER stations$", dockerfile, re.M)


def test_the_settings_file_stays_out_of_git_and_of_the_image():
    for ignore in (".gitignore", ".dockerignore"):
        assert ".env" in (ROOT / ignore).read_text().split(), ignore


def test_the_api_is_published_on_the_hosts_loopback_unless_told_otherwise():
    assert COMPOSE["services"]["api"]["ports"] == ["${STATIONS_PUBLISH_ADDRESS:-127.0.0.1}:8000:8000"]
    assert not any(service.get("ports") for name, service in COMPOSE["services"].items() if name != "api")


def test_every_secret_must_be_given_and_the_service_never_logs_in_as_the_superuser():
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("POSTGRES_PASSWORD", "STATIONS_WRITER_PASSWORD", "STATIONS_READER_PASSWORD", "STATIONS_JWT_SECRET"):
        assert re.search(rf"\$\{{{secret}:\?", text), f"{secret} has a default"
    for name in ("api", "worker", "keys"):
        settings = COMPOSE["services"][name]["environment"]
        assert settings["STATIONS_ENVIRONMENT"] == "production"
        assert settings["DATABASE_URL"].startswith("postgresql://stations_writer:")
        assert settings["STATIONS_READER_DATABASE_URL"].startswith("postgresql://stations_reader:")
