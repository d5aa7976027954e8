"""Settings every leadline service reads from its environment (pydantic-settings).

Each service subclasses ``ServiceSettings`` and adds its own fields; the shared
names below are the same in every service so one ConfigMap can feed them all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class KafkaSettings(BaseSettings):
    """Where the brokers are and how a client proves who it is: every Kafka client leadline builds reads this block
    (``leadline.platform.kafka_clients``), the services through ``ServiceSettings``, the ``leadline`` command directly.

    Invariants: SASL protocols name a mechanism, a username and a password, and only they do; certificate files belong
    to the TLS protocols, a client certificate always with its key. The password never appears in a repr or a log.
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_security_protocol: SecurityProtocol = Field(
        default="PLAINTEXT", description="SSL: TLS (with a client certificate for mutual TLS); SASL_*: a username too."
    )
    kafka_ssl_ca_file: Path | None = Field(
        default=None, description="PEM certificates the brokers' certificate must chain to; unset: the system's."
    )
    kafka_ssl_cert_file: Path | None = Field(default=None, description="PEM client certificate (mutual TLS).")
    kafka_ssl_key_file: Path | None = Field(default=None, description="PEM private key of the client certificate.")
    kafka_sasl_mechanism: SaslMechanism | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_fetch_max_wait_ms: int = Field(
        default=10,
        ge=0,
        description=(
            "How long a consumer's fetch waits at the broker while records flow. The embedded broker answers a waiting "
            "fetch only at this deadline (the latency floor of every hop there); Apache Kafka as soon as records arrive."
        ),
    )
    kafka_idle_fetch_max_wait_ms: int = Field(
        default=1_000,
        ge=0,
        description=(
            "The longest a fetch waits while no records come: each empty fetch doubles the wait up to this, the first "
            "record sets it back to KAFKA_FETCH_MAX_WAIT_MS (leadline.platform.fetch_pacing). Not above "
            "KAFKA_FETCH_MAX_WAIT_MS: one fixed wait (production: both 500, Kafka's ordinary long poll)."
        ),
    )

    @model_validator(mode="after")
    def _consistent(self) -> KafkaSettings:
        protocol = self.kafka_security_protocol
        sasl = {
            "KAFKA_SASL_MECHANISM": self.kafka_sasl_mechanism,
            "KAFKA_SASL_USERNAME": self.kafka_sasl_username,
            "KAFKA_SASL_PASSWORD": self.kafka_sasl_password,
        }
        if protocol.startswith("SASL_"):
            if missing := [name for name, value in sasl.items() if not value]:
                raise ValueError(f"KAFKA_SECURITY_PROTOCOL={protocol} needs {', '.join(missing)}")
        elif given := [name for name, value in sasl.items() if value]:
            raise ValueError(f"{', '.join(given)} set, but KAFKA_SECURITY_PROTOCOL={protocol} does not use SASL")
        files = {
            "KAFKA_SSL_CA_FILE": self.kafka_ssl_ca_file,
            "KAFKA_SSL_CERT_FILE": self.kafka_ssl_cert_file,
            "KAFKA_SSL_KEY_FILE": self.kafka_ssl_key_file,
        }
        if not protocol.endswith("SSL") and (given := [name for name, value in files.items() if value]):
            raise ValueError(f"{', '.join(given)} set, but KAFKA_SECURITY_PROTOCOL={protocol} does not use TLS")
        if (self.kafka_ssl_cert_file is None) != (self.kafka_ssl_key_file is None):
            raise ValueError(
                "KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together: a client certificate needs its key"
            )
        return self


class ServiceSettings(KafkaSettings):
    """Environment of one service process. Every field is documented in README.md."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    service_name: str = "leadline"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    metrics_port: int | None = Field(
        default=None,
        description=(
            "Serve /metrics on this port only, apart from the API (Kubernetes: 9100, so the Ingress, which reaches the "
            "API's port, never exposes it). None: /metrics on the API's port (development)."
        ),
    )

    kafka_enable_idempotence: bool = Field(
        default=False,
        description="Off by default: the embedded broker has no idempotent producer. Turn on for Apache Kafka.",
    )
    kafka_group_prefix: str = Field(
        default="", description="Prefix of every consumer group: environments sharing one Kafka cluster stay apart."
    )
    kafka_consumer_retries: int = Field(default=3, description="Attempts before an event is dead-lettered.")
    kafka_session_timeout_ms: int = Field(
        default=10_000,
        ge=1_000,
        description=(
            "A consumer silent this long leaves its group (heartbeats every third of it). Apache Kafka accepts 6,000 to "
            "1,800,000 by default. The embedded broker waits half of it for a group's members to join, so a shorter "
            "one starts consumers sooner there."
        ),
    )

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/leadline"
    database_pool_size: int = 10

    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    log_unmasked: bool = Field(
        default=False, description="Show phone numbers and message texts in logs (never in production)."
    )

    otel_exporter_otlp_endpoint: str | None = None
    otel_console_exporter: bool = False

    jwt_secret: SecretStr = SecretStr("dev-jwt-secret-change-me-in-production-0123456789")
    jwt_jwks_url: str | None = None
    jwt_audience: str = "leadline"
    jwt_issuer: str = "leadline-dev"

    outbox_poll_interval_s: float = Field(
        default=5.0,
        description=(
            "How often the outbox relay looks for unpublished events without being woken: a commit wakes it at once "
            "through NOTIFY (a listening connection made again whenever it is lost), so this is only a safety net."
        ),
    )
