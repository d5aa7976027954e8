"""Wiring of the router service: settings in, a runnable app out."""

from __future__ import annotations

from fastapi import FastAPI

from leadline.platform.runtime import ServiceRuntime, create_service_app

from .entrypoints.settings import RouterSettings

MIGRATIONS = "leadline.router:adapters/migrations"


def build(settings: RouterSettings | None = None) -> FastAPI:
    settings = settings or RouterSettings()
    runtime = ServiceRuntime(settings)
    return create_service_app(runtime, title="leadline router", description='Conversations: team pools, claim-once ownership, statuses, transfer rules and who may see what.')
