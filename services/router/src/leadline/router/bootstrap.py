"""Wiring of the router service: settings in, a runnable app out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

import httpx
from fastapi import FastAPI

from leadline.phones import normalize_phone
from leadline.platform.access import Access
from leadline.platform.auth import verifier_from_settings
from leadline.platform.lifespan import close_on_stop
from leadline.platform.runtime import ServiceRuntime, create_service_app

from .adapters import queries
from .adapters.account_cache import AccountCache
from .adapters.account_directory import SqlConfigurationUnitOfWork
from .adapters.agent_rights import DirectoryRights
from .adapters.claim_gate import SqlClaimGate
from .adapters.ingest_media import IngestMedia
from .adapters.live_feed import LiveFeed
from .adapters.pool_wait_metrics import PrometheusPoolWaits
from .adapters.unit_of_work import SqlUnitOfWork
from .adapters.view_replay import ConversationViewsReplay
from .entrypoints.admin import admin_router
from .entrypoints.agent_api import agent_api, install_router_errors
from .entrypoints.config_file import apply_configuration_file, load_configuration_file
from .entrypoints.connections_api import connections_api
from .entrypoints.live import live_api
from .entrypoints.media_api import MEDIA_PATHS, media_api
from .entrypoints.settings import RouterSettings
from .entrypoints.subscribers import router_consumer
from .entrypoints.templates_api import rendered_template, templates_api
from .service.pool_wait import check_pool_waits
from .service.ports import UnitOfWork

MIGRATIONS = "leadline.router:adapters/migrations"
DESCRIPTION = "Conversations: team pools, claim-once ownership, statuses, transfer rules and who may see what."


def build(
    settings: RouterSettings | None = None,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ingest_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """``ingest_transport`` lets tests put ingest's media API in-process."""
    settings = settings or RouterSettings()
    runtime = ServiceRuntime(settings)
    accounts = AccountCache()
    uow: Callable[[], UnitOfWork] = lambda: SqlUnitOfWork(runtime.sessions, clock=clock, account_cache=accounts)  # noqa: E731
    rights = DirectoryRights(runtime.sessions, accounts)
    access = Access(verifier_from_settings(settings), rights)
    config_uow = lambda: SqlConfigurationUnitOfWork(runtime.sessions)  # noqa: E731
    consumer = runtime.consume(
        router_consumer(runtime.sessions, unit_of_work=uow, clock=clock, normalize=normalize_phone)
    )
    if settings.router_config_file:
        load_configuration_file(settings.router_config_file)  # a bad file stops start-up, naming the entry
        runtime.run_in_background(
            "account-configuration",
            lambda: apply_configuration_file(settings.router_config_file, uow=config_uow, clock=clock),
        )
    runtime.run_every(
        "pool-wait",
        settings.pool_wait_check_interval_s,
        lambda: check_pool_waits(uow=uow, clock=clock, waiting=queries.waiting_in_pools, metrics=PrometheusPoolWaits()),
    )
    feed = LiveFeed(runtime.sessions, rights, kafka=settings)
    runtime.run_in_background("live-feed", feed.run)
    ingest = IngestMedia(settings.ingest_url, transport=ingest_transport)
    app = create_service_app(
        runtime,
        title="leadline router",
        description=DESCRIPTION,
        untraced_paths={"/stream", *MEDIA_PATHS},
        routers=[
            agent_api(
                uow=uow,
                sessions=runtime.sessions,
                access=access,
                gate=SqlClaimGate(runtime.engine, runtime.sessions, accounts),
                normalize=normalize_phone,
                clock=clock,
                render=partial(rendered_template, ingest=ingest),
            ),
            media_api(uow=uow, sessions=runtime.sessions, access=access, ingest=ingest, clock=clock),
            templates_api(uow=uow, sessions=runtime.sessions, access=access, ingest=ingest, clock=clock),
            admin_router(runtime.sessions, access, clock=clock, directory_changed=rights.forget),
            live_api(feed=feed, access=access),
            connections_api(sessions=runtime.sessions, access=access),
        ],
    )
    install_router_errors(app)
    close_on_stop(app, ingest.aclose)
    app.state.uow = uow
    app.state.consumer = consumer
    app.state.account_cache = accounts
    app.state.live_feed = feed
    app.state.access = access
    return app


def replayable() -> ConversationViewsReplay:
    """The conversation views for ``leadline replay router``: refolded beside the live tables while the service runs."""
    return ConversationViewsReplay()
