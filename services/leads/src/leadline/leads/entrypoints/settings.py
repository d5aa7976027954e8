"""Environment of the leads service (shared names documented in README.md)."""

from __future__ import annotations

from leadline.platform.settings import ServiceSettings


class LeadsSettings(ServiceSettings):
    service_name: str = "leads"
    http_port: int = 8003
