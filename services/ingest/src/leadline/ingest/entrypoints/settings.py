"""Environment of the ingest service (shared names documented in README.md)."""

from __future__ import annotations

from leadline.platform.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    service_name: str = "ingest"
    http_port: int = 8001
