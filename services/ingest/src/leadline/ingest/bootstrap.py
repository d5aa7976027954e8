"""Wiring of the ingest service: settings in, a runnable app out."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from leadline.platform.auth import verifier_from_settings
from leadline.platform.runtime import ServiceRuntime, create_service_app

from .adapters.evolution.api_keys import EvolutionApiKeys
from .adapters.evolution.client import EvolutionClient
from .adapters.evolution.profile_photos import evolution_photo_sources
from .adapters.graph_api import GraphApiClient
from .adapters.unit_of_work import SqlUnitOfWork
from .domain.retry_policy import RetryPolicy
from .domain.send_throughput import SendThroughput
from .entrypoints.evolution_webhooks import evolution_webhook_router
from .entrypoints.kafka import register_subscriber
from .entrypoints.media_api import media_api
from .entrypoints.media_worker import MediaWorker, media_store_for, run_with_app
from .entrypoints.settings import IngestSettings
from .entrypoints.templates_api import templates_api
from .entrypoints.webhooks import webhook_router
from .service.media_fetching import MediaFetchPolicy
from .service.ports import UnitOfWork
from .service.profile_photo_rounds import PhotoRefreshPolicy, profile_photo_round
from .service.templates import refresh_all_templates

MIGRATIONS = "leadline.ingest:adapters/migrations"
DESCRIPTION = (
    "leadline's only door to WhatsApp: signed webhooks in, durable and deduplicated, as events; "
    "sends out through the Graph API."
)


def build(settings: IngestSettings | None = None, *, unit_of_work: Callable[[], UnitOfWork] | None = None) -> FastAPI:
    settings = settings or IngestSettings()
    runtime = ServiceRuntime(settings)
    # a commit that makes a media job due wakes the worker (built below, before any unit of work runs)
    unit_of_work = unit_of_work or (lambda: SqlUnitOfWork(runtime.sessions, media_due=media_worker.wake))
    graph = GraphApiClient(
        base_url=settings.graph_api_base_url,
        version=settings.graph_api_version,
        access_token=settings.whatsapp_access_token.get_secret_value(),
        timeout_s=settings.graph_api_timeout_s,
    )
    media_store = media_store_for(settings)
    evolution_api_keys = EvolutionApiKeys(settings.evolution_api_keys_dir)
    evolution = EvolutionClient(evolution_api_keys, timeout_s=settings.evolution_api_timeout_s)
    register_subscriber(
        runtime,
        uow_factory=unit_of_work,
        graph=graph,
        media_store=media_store,
        throughput=SendThroughput(rate_per_s=settings.send_rate_per_number, burst=settings.send_rate_per_number),
        retry=RetryPolicy(attempts=settings.send_retry_attempts),
        evolution=evolution,
    )
    media_worker = MediaWorker(
        uow_factory=unit_of_work,
        graph=graph,
        store=media_store,
        poll_interval_s=settings.media_fetch_poll_interval_s,
        policy=MediaFetchPolicy(
            retry=RetryPolicy(attempts=settings.media_fetch_max_attempts, base_delay_s=5.0, max_delay_s=600.0)
        ),
        evolution=evolution,
    )
    verifier = verifier_from_settings(settings)
    runtime.run_every(
        "templates",
        settings.template_sync_interval_s,
        lambda: refresh_all_templates(graph=graph, uow=unit_of_work, clock=lambda: datetime.now(UTC)),
    )
    runtime.run_every(
        "profile-photos",
        settings.profile_photo_round_interval_s,
        lambda: profile_photo_round(
            evolution_photo_sources(evolution, unit_of_work),
            uow_factory=unit_of_work,
            store=media_store,
            clock=lambda: datetime.now(UTC),
            pace=SendThroughput(rate_per_s=settings.profile_photo_rate_per_instance, burst=1),
            monotonic=time.monotonic,
            policy=PhotoRefreshPolicy(
                every=timedelta(days=settings.profile_photo_refresh_days),
                recent=timedelta(days=settings.profile_photo_recent_days),
            ),
            default_account_id=settings.default_account_id,
        ),
    )
    app = create_service_app(
        runtime,
        title="leadline ingest",
        description=DESCRIPTION,
        routers=[
            webhook_router(settings, unit_of_work),
            evolution_webhook_router(settings, unit_of_work, media_store, evolution_api_keys),
            media_api(media_store, verifier),
            templates_api(graph=graph, uow=unit_of_work, verifier=verifier),
        ],
    )
    run_with_app(app, media_worker, on_stop=[graph.aclose, evolution.aclose])
    return app
