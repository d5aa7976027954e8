"""Wiring of the leads service: settings in, a runnable app out."""

from __future__ import annotations

from fastapi import FastAPI

from leadline.platform.runtime import ServiceRuntime, create_service_app

from .entrypoints.settings import LeadsSettings

MIGRATIONS = "leadline.leads:adapters/migrations"


def build(settings: LeadsSettings | None = None) -> FastAPI:
    settings = settings or LeadsSettings()
    runtime = ServiceRuntime(settings)
    return create_service_app(runtime, title="leadline leads", description='Leads created from conversations by an agent\'s "Add lead", conversion points, unification and conflicts, lead temperature.')
