"""The background task that keeps fetching due media jobs while the service runs.

Several replicas may run it at once: claims skip each other's locked rows. Between rounds it sleeps until the
earliest pending job falls due, or until this process commits a job due now (``wake``: the unit of work rings it),
or at most the poll interval (jobs another replica stored and could not fetch); an idle service does not query its
queue every second. A round that fails (the database is away) is logged and retried after the poll interval; the
loop only ends when the service stops.
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
from ..service.media_fetching import DEFAULT_MEDIA_FETCH, MediaFetchPolicy, fetch_due_media, seconds_until_due
from ..service.ports import Clock, EvolutionApi, GraphApi, MediaStore, Random, UnitOfWorkFactory
from .kafka import utc_now
from .settings import IngestSettings

log = structlog.get_logger(__name__)

MIN_PAUSE_S = 0.1
"""A job due now that the round did not claim is another worker's for the moment: look again shortly, not at once."""


class MediaWorker:
    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        graph: GraphApi,
        store: MediaStore,
        policy: MediaFetchPolicy = DEFAULT_MEDIA_FETCH,
        poll_interval_s: float = 30.0,
        clock: Clock = utc_now,
        random: Random = _random.random,
        evolution: EvolutionApi | None = None,
    ) -> None:
        self._round = lambda: fetch_due_media(uow_factory, graph, store, clock, random, policy, evolution)
        self._until_due = lambda: seconds_until_due(uow_factory, clock)
        self._policy = policy
        self._poll_interval_s = poll_interval_s
        self._due = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.rounds = 0

    def wake(self) -> None:
        """A job is due now: start a round (at once if idle, right after the running one otherwise)."""
        self._due.set()

    async def run(self) -> None:
        while True:
            self._due.clear()  # a wake during the round below starts the next one
            try:
                outcomes = await self._round()
                self.rounds += 1
                if sum(outcomes.values()) >= self._policy.batch_size:  # a full batch means more may be due now
                    continue
                until_due = await self._until_due()
                pause = (
                    self._poll_interval_s
                    if until_due is None
                    else min(max(until_due, MIN_PAUSE_S), self._poll_interval_s)
                )
            except asyncio.CancelledError:
                raise
            except Exception as error:  # database or store away: keep the jobs, try again later
                log.warning("media fetch round failed; will retry", error=str(error))
                pause = self._poll_interval_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._due.wait(), pause)

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
