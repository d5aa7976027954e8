"""Settings every leadline service reads from its environment (pydantic-settings).

Each service subclasses ``ServiceSettings`` and adds its own fields; the shared
names below are the same in every service so one ConfigMap can feed them all.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Environment of one service process. Every field is documented in README.md."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    service_name: str = "leadline"
    http_host: str = "127.0.0.1"
    http_port: int = 8000

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_enable_idempotence: bool = Field(
        default=False,
        description="Off by default: the embedded broker has no idempotent producer. Turn on for Apache Kafka.",
    )
    kafka_fetch_max_wait_ms: int = Field(default=10, description="Consumer latency floor on the embedded broker.")
    kafka_group_prefix: str = Field(
        default="", description="Prefix of every consumer group: environments sharing one Kafka cluster stay apart."
    )
    kafka_consumer_retries: int = Field(default=3, description="Attempts before an event is dead-lettered.")
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1_000, description=(
        "A consumer silent this long leaves its group (heartbeats every third of it). Apache Kafka accepts 6,000 to "
        "1,800,000 by default. The embedded broker waits half of it for a group's members to join, so a shorter "
        "one starts consumers sooner there."))

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/leadline"
    database_pool_size: int = 10

    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    log_unmasked: bool = Field(default=False, description="Show phone numbers and message texts in logs (never in production).")

    otel_exporter_otlp_endpoint: str | None = None
    otel_console_exporter: bool = False

    jwt_secret: SecretStr = SecretStr("dev-jwt-secret-change-me-in-production-0123456789")
    jwt_jwks_url: str | None = None
    jwt_audience: str = "leadline"
    jwt_issuer: str = "leadline-dev"

    outbox_poll_interval_s: float = 0.5
