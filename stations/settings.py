"""The service's settings, from `STATIONS_*` environment variables (and `DATABASE_URL`)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.auth import AUDIENCE, ISSUER, MAX_TOKEN_HOURS, TOKEN_HOURS
from projections.progress import WAIT_SECONDS
from projections.reports import Deadlines
from projections.worker import BATCH_SIZE, SNAPSHOT_EVERY
from tenants.event_store import STATEMENT_TIMEOUT

DEVELOPMENT_SECRET = "development-only-secret-change-me-in-production"
SECRET_MIN_BYTES = 32
SECRET_MIN_DISTINCT = 12  # a random secret of 32 characters holds ~20 distinct ones; "k" * 32 or "abab…" hold few
MAKE_A_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
DATABASE_URL_MISSING = "STATIONS_DATABASE_URL (or DATABASE_URL) must name the PostgreSQL to use in production."
READER_DATABASE_URL_MISSING = ("STATIONS_READER_DATABASE_URL must name the login of the API's scoped reads in production:"
                               " stations_reader, with its own password (docs/database-roles.md).")
SIGNING_KEY_MISSING = "STATIONS_SIGNING_KEY_FILE must name the checkpoint signing key in production."


def _weak_secret(secret: str) -> str | None:
    """Why the secret may not sign production tokens, if it may not: anyone could mint a token."""
    if secret == DEVELOPMENT_SECRET:
        return f"STATIONS_JWT_SECRET is unset (the public development secret); make one with {MAKE_A_SECRET}."
    if len(secret.encode()) < SECRET_MIN_BYTES:
        return (f"STATIONS_JWT_SECRET is shorter than {SECRET_MIN_BYTES} bytes; make a strong one with"
                f" {MAKE_A_SECRET}.")
    if len(set(secret)) < SECRET_MIN_DISTINCT:
        return (f"STATIONS_JWT_SECRET repeats a few characters (fewer than {SECRET_MIN_DISTINCT} distinct): it is no"
                f" random secret; make one with {MAKE_A_SECRET}.")
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STATIONS_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = Field(
        default="production", description="`production` (the default) refuses to start on unsafe settings;"
                                          " `development` (`scripts/serve`) allows them and the dev sign-in")
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("STATIONS_DATABASE_URL", "DATABASE_URL"),
        description="PostgreSQL the service and its projection worker log in to: stations_writer in production"
                    " (docs/database-roles.md); a superuser's in development and tests, through which the start"
                    " also migrates; when unset, an embedded server is started in data_dir.",
    )
    reader_database_url: str | None = Field(
        default=None, description="PostgreSQL the API's scoped reads log in to: stations_reader with its own password"
                                  " (docs/database-roles.md), required in production; in development derived from the"
                                  " database URL, its user switched to stations_reader (given LOGIN by the start's"
                                  " migration). A district on another server is read there with this login's user and"
                                  " password.")
    migrate_database_url: str | None = Field(
        default=None, description="the login `stations migrate` applies the migrations and creates every"
                                  " district's event store with: stations_owner (a superuser's the first time, for"
                                  " migration 0021); unset: DATABASE_URL")
    data_dir: Path = Field(default_factory=lambda: platformdirs.user_data_path("stations"),
                           description="where the embedded PostgreSQL and the development signing key live")
    jwt_secret: SecretStr = Field(default=SecretStr(DEVELOPMENT_SECRET),
                                  description="the HS256 key bearer tokens are signed with (32+ random bytes in production)")
    signing_key_file: Path | None = Field(
        default=None, description="Ed25519 private key (PEM) that signs checkpoints (`stations keys init` makes it;"
                                  " development makes it on start); in data_dir when unset. Only the signer reads it")
    keyring_file: Path | None = Field(
        default=None, description="the public keys (PEM, one after another) checkpoints are verified with: every key"
                                  " the service has signed with, the current last; beside the signing key when unset")
    witness_dir: Path | None = Field(
        default=None, description="an append-only directory where every checkpoint is also written, one JSON line"
                                  " per checkpoint, to be shipped elsewhere; data_dir/witness when unset")
    installation_id: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        description="the database's `audit.installation` id, pinned: the witness directory's subdirectory of"
                    " this database; unset: the id found at the first start, stored in data_dir/installation-id."
                    " A database with another id is refused (it would move the witnesses without a word)")
    checkpoint_wait_seconds: float = Field(
        default=5.0, ge=0, le=60, description="how long a report step waits for the signer's checkpoint before"
                                              " answering that it is pending (and where to fetch it)")
    token_hours: int = Field(default=TOKEN_HOURS, ge=1, le=MAX_TOKEN_HOURS,
                             description="lifetime of a token `stations token` mints (no token is taken that lives longer"
                                         f" than {MAX_TOKEN_HOURS})")
    token_issuer: str = Field(default=ISSUER, min_length=1, description="the `iss` claim tokens are minted with and must carry")
    token_audience: str = Field(default=AUDIENCE, min_length=1,
                                description="the `aud` claim tokens are minted with and must carry: give each deployment"
                                            " its own, so that one's tokens are not another's")
    revoked_tokens: str = Field(default="", pattern=r"^[0-9a-f,\s]*$",
                                description="ids (`jti`, which `stations token` prints) of tokens refused before they"
                                            " expire, comma-separated; read at start")
    citus: bool = Field(default=False, description="the database is a Citus coordinator (README, Citus): each new"
                                                   " district's event store becomes a distributed schema on a worker")
    write_pool_size: int = Field(default=4, ge=1, le=64, description="write connections per PostgreSQL server")
    write_pool_overflow: int = Field(default=4, ge=0, le=64, description="extra write connections under load")
    read_pool_size: int = Field(default=4, ge=1, le=64, description="read (asyncpg) connections per server")
    statement_timeout: str = Field(default=STATEMENT_TIMEOUT, pattern=r"^[0-9]+(ms|s|min)$",
                                   description="longest statement a read or a write may run (a 503 beyond)")
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=64 * 1024, description="largest request body accepted")
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, ge=64 * 1024,
                                  description="largest spreadsheet `POST .../imports` accepts (a 413 beyond)")
    max_upload_rows: int = Field(default=50_000, ge=1, description="most rows an uploaded spreadsheet may hold (a 422 beyond)")
    projection_pool_size: int = Field(default=2, ge=1, le=16, description="connections of the projection worker")
    snapshot_every: int = Field(default=SNAPSHOT_EVERY, ge=100, description="events between snapshots kept for as_of reads")
    projection_batch_size: int = Field(default=BATCH_SIZE, ge=1, description="most events of a district the projection"
                                       " worker folds into one transaction (a worker behind its log writes each figure once a batch)")
    run_projections: bool = Field(default=True, description="run the projection worker beside `serve`'s API, as its child process")
    projection_nice: int = Field(default=10, ge=0, le=19, description="the projection worker's CPU niceness: when"
                                 " writes and the projection both want the CPU, writes come first and the projection catches up after")
    projection_metrics_port: int = Field(default=9464, ge=0, le=65535,
                                         description="port `stations project` serves its own /metrics on (the"
                                                     " batches it projects); 0: none")
    projection_metrics_host: str = Field(default="127.0.0.1", description="address that port listens on (0.0.0.0"
                                         " for a Prometheus on another host of the monitoring network)")
    readiness_max_lag: int = Field(default=10_000, ge=0, description="events a projection may trail by and be ready")
    min_position_timeout: float = Field(default=WAIT_SECONDS, gt=0, le=60, description="seconds a read waits for min_position")
    town_report_deadline_days: int = Field(default=Deadlines.town_days, ge=0, le=180,
                                           description="days after a half year by which a town's report is due")
    district_report_deadline_days: int = Field(default=Deadlines.district_days, ge=0, le=180,
                                               description="days after a half year by which a district's report is due")
    evaluation_tolerance_days: int = Field(
        default=30, ge=0, le=180, description="days before its contract year begins or after it ends that an"
                                               " evaluation may be dated and still count for that year")
    final_evaluation_grace_days: int = Field(
        default=30, ge=0, le=180, description="days after a contract year ends before its final evaluation is overdue")
    shutdown_grace_seconds: float = Field(default=30.0, gt=0, le=600,
                                          description="how long SIGTERM waits for the requests in flight")
    log_format: Literal["json", "text"] | None = Field(
        default=None, description="`json` (one object a line) or `text`; unset: json in production, text in development")
    telemetry: bool = Field(default=False, description="FastAPI's OpenTelemetry spans, metrics and logs, to the"
                                                       " providers the process configures")

    @model_validator(mode="after")
    def _safe_outside_development(self) -> "Settings":
        if self.environment == "production":
            refused = [why for why in (_weak_secret(self.jwt_secret.get_secret_value()),
                                       None if self.database_url else DATABASE_URL_MISSING,
                                       None if self.reader_database_url else READER_DATABASE_URL_MISSING,
                                       None if self.signing_key_file else SIGNING_KEY_MISSING) if why]
            if refused:
                raise ValueError(" ".join(refused) + " (STATIONS_ENVIRONMENT=development runs without these, on"
                                 " this machine only)")
        return self

    @property
    def revoked_token_ids(self) -> frozenset[str]:
        return frozenset(filter(None, (jti.strip() for jti in self.revoked_tokens.split(","))))

    @property
    def log_lines(self) -> Literal["json", "text"]:
        return self.log_format or ("json" if self.environment == "production" else "text")

    @property
    def signing_key_path(self) -> Path:
        return self.signing_key_file or self.data_dir / "signing-key.pem"

    @property
    def keyring_path(self) -> Path:
        return self.keyring_file or self.signing_key_path.with_name("keyring.pem")

    @property
    def installation_path(self) -> Path:
        return self.data_dir / "installation-id"

    @property
    def witness_path(self) -> Path:
        return self.witness_dir or self.data_dir / "witness"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def settings_or_exit() -> Settings:
    """The settings, or the process ended with why they are refused, in a line: a traceback would
    show the values they were made from."""
    try:
        return get_settings()
    except ValidationError as exc:
        reasons = " ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise SystemExit(f"stations: 拒绝启动 / refusing to start: {reasons}") from None
