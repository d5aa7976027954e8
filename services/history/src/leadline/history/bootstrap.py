"""Wiring of the history service: settings in, a runnable app (and a rebuild) out."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.events.topics import LEADS_LEADS, ROUTER_CONVERSATIONS, WHATSAPP_INBOUND
from leadline.platform.directory import access_by_the_directory_topic
from leadline.platform.runtime import ServiceRuntime, create_service_app

from .adapters.live_projection import LiveTimeline
from .adapters.replay import RebuildProgress
from .adapters.shadow_replay import TimelineReplay
from .entrypoints.http import history_api
from .entrypoints.settings import HistorySettings
from .entrypoints.subscribers import TOPICS, register_subscribers
from .service.projection import CONSUMER, TimelineProjection

MIGRATIONS = "leadline.history:adapters/migrations"
REPLAY_STAGES = ((LEADS_LEADS, WHATSAPP_INBOUND), (ROUTER_CONVERSATIONS,))
"""A parallel rebuild's order: a conversation's lead and its messages' stored media are in the tables before its
events are replayed (``adapters.parallel_replay``)."""
DESCRIPTION = (
    "Lead timelines: finished conversations and lead events projected into a timeline that can be rebuilt by replay."
)


def projection(settings: HistorySettings, *, publish: bool = True) -> LiveTimeline:
    return LiveTimeline(TimelineProjection(settings.keep_policy), publish=publish)


def build(settings: HistorySettings | None = None) -> FastAPI:
    settings = settings or HistorySettings()
    runtime = ServiceRuntime(settings)
    live = projection(settings)
    consumer = register_subscribers(runtime, projection=live)
    access = access_by_the_directory_topic(runtime)
    app = create_service_app(
        runtime,
        title="leadline history",
        description=DESCRIPTION,
        routers=[history_api(sessions=runtime.sessions, access=access)],
    )
    app.state.projection, app.state.access, app.state.consumer = live, access, consumer
    return app


async def rebuild(
    settings: HistorySettings,
    sessions: async_sessionmaker[AsyncSession],
    *,
    progress: Callable[[RebuildProgress], None] | None = None,
    force: bool = False,
) -> RebuildProgress:
    """Fill an empty projection from its topics; publishes nothing (entry ids are stable across rebuilds).

    Refuses (``ReplayRefused``) a projection that is not empty, or topics that are unknown or truncated, unless
    ``force``: it would wipe what it cannot compare with its source (``leadline replay history`` compares)."""
    return await replayable(settings).rebuild(sessions, progress=progress, force=force)


def replayable(settings: HistorySettings) -> TimelineReplay:
    """The timeline for ``leadline replay history``: rebuilt beside the live tables while the service runs."""
    quiet = projection(settings, publish=False)
    return TimelineReplay(
        kafka=settings,
        topics=TOPICS,
        consumer=CONSUMER,
        handle=quiet.handle,
        batch_size=settings.history_rebuild_batch_size,
        workers=settings.history_rebuild_workers,
        stages=REPLAY_STAGES,
    )
