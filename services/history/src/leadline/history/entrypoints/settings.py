"""Environment of the history service (shared names documented in README.md)."""

from __future__ import annotations

from leadline.platform.settings import ServiceSettings


class HistorySettings(ServiceSettings):
    service_name: str = "history"
    http_port: int = 8004
