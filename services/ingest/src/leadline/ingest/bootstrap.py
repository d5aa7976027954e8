"""Wiring of the ingest service: settings in, a runnable app out."""

from __future__ import annotations

from fastapi import FastAPI

from leadline.platform.runtime import ServiceRuntime, create_service_app

from .entrypoints.settings import IngestSettings

MIGRATIONS = "leadline.ingest:adapters/migrations"


def build(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or IngestSettings()
    runtime = ServiceRuntime(settings)
    return create_service_app(runtime, title="leadline ingest", description="leadline's only door to WhatsApp: signed webhooks in, durable and deduplicated, as events; sends out through the Graph API.")
