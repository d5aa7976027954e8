"""Wiring of the ingest service: settings in, a runnable app out."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from leadline.platform.runtime import ServiceRuntime, create_service_app

from .adapters.unit_of_work import SqlUnitOfWork
from .entrypoints.integration import register_integration_subscriber
from .entrypoints.settings import IngestSettings
from .entrypoints.webhooks import webhook_router
from .service.ports import UnitOfWork

MIGRATIONS = "leadline.ingest:adapters/migrations"
DESCRIPTION = (
    "leadline's only door to WhatsApp: signed webhooks in, durable and deduplicated, as events; "
    "sends out through the Graph API."
)


def build(settings: IngestSettings | None = None, *, unit_of_work: Callable[[], UnitOfWork] | None = None) -> FastAPI:
    settings = settings or IngestSettings()
    runtime = ServiceRuntime(settings)
    unit_of_work = unit_of_work or (lambda: SqlUnitOfWork(runtime.sessions))
    register_integration_subscriber(runtime, unit_of_work)
    return create_service_app(runtime, title="leadline ingest", description=DESCRIPTION,
                              routers=[webhook_router(settings, unit_of_work)])
