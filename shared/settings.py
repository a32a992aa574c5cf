"""Runtime configuration, read from the environment (prefix ``AIRWARN_``) at start-up.

Nothing here is evaluated at import time: call :func:`load_settings` from a
composition root (the CLI, a test fixture) and pass the result down.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.observability.logs import redact

SERVICE_NAMES: tuple[str, ...] = ("forecast", "alerting", "response", "notify")
ServiceName = Literal["forecast", "alerting", "response", "notify"]


class Settings(BaseSettings):
    """Every knob of the system; one instance is built per process."""

    model_config = SettingsConfigDict(env_prefix="AIRWARN_", extra="ignore")

    bus: Literal["memory", "kafka"] = "memory"
    kafka_bootstrap: str = "127.0.0.1:19092"
    kafka_client_id: str = "airwarn"
    kafka_partitions: int = Field(default=6, ge=1)
    #: ``{service}`` is replaced by the service name, so each service can get its
    #: own database; without it the services share one database and stay apart
    #: through their table names.
    database_url: str = "sqlite+aiosqlite:///{var_dir}/{service}.db"
    var_dir: Path = Path("var")
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    outbox_batch_size: int = Field(default=200, ge=1)
    consumer_retry_max_seconds: float = Field(default=30.0, gt=0)
    #: messages a consumer hands to one transaction at most (issue 13: one unit of work,
    #: one inbox claim, one audit append and one offset commit per fetched batch)
    consumer_batch_max: int = Field(default=200, ge=1)
    memory_partitions: int = Field(default=4, ge=1)
    log_level: str = "INFO"
    #: the largest request body any endpoint reads (HTTP 413 above it)
    max_body_bytes: int = Field(default=5_000_000, ge=1024)
    #: the longest a request body may take to arrive, all of it (HTTP 408 after): a client
    #: trickling a body byte by byte cannot hold a connection and its buffer for ever
    body_read_timeout_seconds: float = Field(default=30.0, gt=0)
    #: bearer tokens (hashed) and their roles; unset: `airwarn up` uses the packaged (public)
    #: development tokens and warns, `airwarn serve` refuses to start (services/start_up.py)
    tokens_file: Path | None = None
    #: a JSON file of areas beyond Chongqing's (``shared.areas.parse_areas``), registered
    #: by each service at start-up; unset: exactly the plan's areas
    areas_file: Path | None = None
    #: approve every warning proposal at once by the right role (rehearsal, replay)
    alerting_auto_approve: bool = False
    #: how often the forecast service checks the 4-hour duty rule
    duty_check_seconds: float = Field(default=60.0, gt=0)
    #: how often the forecast service issues baseline forecasts where nobody else does
    baseline_every_seconds: float = Field(default=3600.0, gt=0)
    #: how often the notify service works through its delivery queue
    delivery_every_seconds: float = Field(default=1.0, gt=0)
    #: the first wait before a failed delivery is retried (doubling up to 30 min, for 24 h)
    delivery_first_retry_seconds: float = Field(default=2.0, gt=0)
    #: where a webhook may go besides public addresses (issue 12 item 3): host, host:port,
    #: address, address:port, [IPv6]:port or CIDR entries, comma-separated; empty (the
    #: default, and production's) means loopback, private, link-local and other internal
    #: addresses are always refused. Tests name their local receiver here.
    webhook_allow_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = "airwarn@localhost"
    #: how often the response service looks for overdue tasks to remind their units of
    reminder_check_seconds: float = Field(default=300.0, gt=0)
    #: the audit log's HMAC keys, outside the database (shared.db.audit_keys); unset:
    #: ``airwarn up`` makes a development key file in var_dir, ``airwarn serve`` refuses
    audit_keys_file: Path | None = None
    #: where each service appends its signed audit heads (``<service>.jsonl``);
    #: unset: ``{var_dir}/audit-anchors``
    audit_anchor_dir: Path | None = None
    #: how often each service anchors its audit head (when it has moved)
    audit_anchor_seconds: float = Field(default=60.0, gt=0)

    @field_validator("webhook_allow_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):  # a JSON list ("[::1]:8080" alone is no list)
                try:
                    return tuple(json.loads(text))
                except ValueError:
                    pass
            return tuple(part.strip() for part in text.split(",") if part.strip())
        return value

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("database_url must use sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # repr() and str() end up in logs and tracebacks: never with the database password.
        for name, value in super().__repr_args__():
            yield name, redact(value) if isinstance(value, str) else value

    @property
    def audit_anchors(self) -> Path:
        return self.audit_anchor_dir or self.var_dir / "audit-anchors"

    def database_url_for(self, service: str) -> str:
        return self.database_url.format(service=service, var_dir=self.var_dir.as_posix())


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
