"""Wiring of the leads service: settings in, a runnable app out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from leadline.phones import normalize_phone
from leadline.platform.directory import access_by_the_directory_topic
from leadline.platform.lifespan import close_on_stop
from leadline.platform.runtime import ServiceRuntime, create_service_app

from .adapters.recovery_metrics import count_settled_saga
from .adapters.router_api import HttpRouter, ServiceTokenMinter
from .adapters.unit_of_work import SqlUnitOfWork
from .entrypoints.admin import admin_api
from .entrypoints.http import install_leads_errors, leads_api
from .entrypoints.models import authenticated
from .entrypoints.settings import LeadsSettings
from .entrypoints.subscribers import register_subscribers
from .service.add_lead import AddLeadContext
from .service.cooling import reassess_due_leads
from .service.ports import UnitOfWork
from .service.recovery import Recovery, recover_stale_sagas

MIGRATIONS = "leadline.leads:adapters/migrations"
DESCRIPTION = (
    "Leads created from conversations by an agent's \"Add lead\" (a saga with the router's claim), conversion points, "
    "lead unification and conflicts, lead temperature."
)


def build(
    settings: LeadsSettings | None = None,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    router_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    settings = settings or LeadsSettings()
    runtime = ServiceRuntime(settings)
    uow: Callable[[], UnitOfWork] = lambda: SqlUnitOfWork(runtime.sessions, clock=clock)  # noqa: E731
    rules = settings.temperature_rules()
    router = HttpRouter(settings.router_url, timeout_s=settings.router_timeout_s, transport=router_transport)
    tokens = ServiceTokenMinter(
        secret=settings.jwt_secret.get_secret_value(), audience=settings.jwt_audience, issuer=settings.jwt_issuer
    )
    ctx = AddLeadContext(
        uow=uow,
        router=router,
        clock=clock,
        normalize=normalize_phone,
        rules=rules,
        one_at_a_time_for=timedelta(seconds=settings.saga_pending_timeout_s),
    )
    recovery = Recovery(
        uow=uow,
        router=router,
        tokens=tokens,
        clock=clock,
        rules=rules,
        stale_after=timedelta(seconds=settings.saga_pending_timeout_s),
        settled=count_settled_saga,
    )

    consumer = register_subscribers(runtime, uow=uow, clock=clock, rules=rules)
    runtime.run_every("add-lead-recovery", settings.saga_recovery_interval_s, lambda: recover_stale_sagas(recovery))
    runtime.run_every(
        "temperature-cooling",
        settings.temperature_check_interval_s,
        lambda: reassess_due_leads(uow=uow, clock=clock, rules=rules),
    )

    access = access_by_the_directory_topic(runtime)
    caller = authenticated(access)
    app = create_service_app(
        runtime,
        title="leadline leads",
        description=DESCRIPTION,
        routers=[
            leads_api(ctx=ctx, sessions=runtime.sessions, caller=caller, router_url=settings.router_url),
            admin_api(ctx=ctx, sessions=runtime.sessions, caller=caller, router_url=settings.router_url),
        ],
    )
    install_leads_errors(app)
    close_on_stop(app, router.aclose)
    app.state.uow, app.state.ctx, app.state.recovery, app.state.rules = uow, ctx, recovery, rules
    app.state.access = access
    app.state.consumer = consumer
    return app
