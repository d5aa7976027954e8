"""The background task that keeps fetching due media jobs while the service runs.

Several replicas may run it at once: claims skip each other's locked rows. A round that
fails (the database is away) is logged and retried after the poll interval; the loop
only ends when the service stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import random as _random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import structlog
from fastapi import FastAPI

from ..adapters.media_store import LocalMediaStore, S3MediaStore
from ..service.media_fetching import DEFAULT_MEDIA_FETCH, MediaFetchPolicy, fetch_due_media
from ..service.ports import Clock, EvolutionApi, GraphApi, MediaStore, Random, UnitOfWorkFactory
from .kafka import utc_now
from .settings import IngestSettings

log = structlog.get_logger(__name__)


class MediaWorker:
    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        graph: GraphApi,
        store: MediaStore,
        policy: MediaFetchPolicy = DEFAULT_MEDIA_FETCH,
        poll_interval_s: float = 1.0,
        clock: Clock = utc_now,
        random: Random = _random.random,
        evolution: EvolutionApi | None = None,
    ) -> None:
        self._round = lambda: fetch_due_media(uow_factory, graph, store, clock, random, policy, evolution)
        self._policy = policy
        self._poll_interval_s = poll_interval_s
        self._task: asyncio.Task[None] | None = None
        self.rounds = 0

    async def run(self) -> None:
        while True:
            try:
                outcomes = await self._round()
                self.rounds += 1
            except asyncio.CancelledError:
                raise
            except Exception as error:  # database or store away: keep the jobs, try again later
                log.warning("media fetch round failed; will retry", error=str(error))
                outcomes = {}
            if sum(outcomes.values()) < self._policy.batch_size:  # a full batch means more may be due now
                await asyncio.sleep(self._poll_interval_s)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="media-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def run_with_app(app: FastAPI, worker: MediaWorker, *, on_stop: Sequence[Callable[[], Awaitable[Any]]] = ()) -> None:
    """Start ``worker`` after the app's own lifespan started (database, relay) and stop it first.

    ``on_stop`` closes what the worker used (the Graph API client) once it has stopped.
    """
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        async with inner(application) as state:
            worker.start()
            try:
                yield state
            finally:
                await worker.stop()
                for close in on_stop:
                    await close()

    app.router.lifespan_context = lifespan


def media_store_for(settings: IngestSettings) -> MediaStore:
    """S3 when a bucket is configured, else the local directory."""
    if settings.media_store_s3_bucket:
        secret = settings.media_store_s3_secret_access_key
        return S3MediaStore(
            settings.media_store_s3_bucket,
            prefix=settings.media_store_s3_prefix,
            endpoint_url=settings.media_store_s3_endpoint_url,
            region=settings.media_store_s3_region,
            access_key_id=settings.media_store_s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
        )
    return LocalMediaStore(settings.media_store_dir)
