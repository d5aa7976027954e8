"""Environment of the router service (shared names documented in README.md)."""

from __future__ import annotations

from leadline.platform.settings import ServiceSettings


class RouterSettings(ServiceSettings):
    service_name: str = "router"
    http_port: int = 8002
