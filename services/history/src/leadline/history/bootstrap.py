"""Wiring of the history service: settings in, a runnable app out."""

from __future__ import annotations

from fastapi import FastAPI

from leadline.platform.runtime import ServiceRuntime, create_service_app

from .entrypoints.settings import HistorySettings

MIGRATIONS = "leadline.history:adapters/migrations"


def build(settings: HistorySettings | None = None) -> FastAPI:
    settings = settings or HistorySettings()
    runtime = ServiceRuntime(settings)
    return create_service_app(runtime, title="leadline history", description='Lead timelines: finished conversations and lead events projected into a timeline that can be rebuilt by replay.')
