"""Environment of the router service (shared names documented in README.md)."""

from __future__ import annotations

from pydantic import Field

from leadline.platform.settings import ServiceSettings


class RouterSettings(ServiceSettings):
    service_name: str = "router"
    http_port: int = 8002

    router_config_file: str | None = Field(
        default=None,
        description="YAML account configuration applied at start-up (make run uses deploy/dev/accounts.yaml).",
    )
    pool_wait_check_interval_s: float = Field(default=15.0, description="How often waiting conversations are checked.")
    ingest_url: str = Field(
        default="http://127.0.0.1:8001",
        description="Ingest, which keeps the media store: files of messages are read through it.",
    )
