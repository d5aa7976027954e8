"""The infrastructure one service process owns, started and stopped with its HTTP app.

A ``ServiceRuntime`` holds the database engine, the outbox relay and its producer,
and the FastStream broker of the service's subscribers. Nothing here knows a business
rule; services hand it their routers and event handlers in ``bootstrap.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, FastAPI
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware

from . import kafka_clients
from .batches import BatchConsumer, BatchDelivery, subscribe_batches
from .db import connect_raw, create_engine, ping, session_factory
from .fetch_pacing import FetchPacing, pace_subscribers
from .http import asyncapi_router, health_router, install_error_handlers, install_request_context
from .kafka import DeadLetters, EventHandler, create_producer, membership, subscribe_events
from .logging import configure_logging
from .messaging_tables import OUTBOX_NOTIFY_CHANNEL
from .outbox import BACKLOG_MEASURE_INTERVAL_S, OutboxRelay, measure_backlog
from .rounds import every
from .settings import ServiceSettings
from .tracing import configure_tracing, server_spans

log = structlog.get_logger(__name__)


class ServiceRuntime:
    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
        self.sessions = session_factory(self.engine)
        # aiokafka clients belong to the running event loop: made in start()
        self.producer: AIOKafkaProducer | None = None
        self.relay: OutboxRelay | None = None
        self.dead_letters: DeadLetters | None = None
        self.broker = kafka_clients.broker(
            settings,
            middlewares=[KafkaTelemetryMiddleware()],
            enable_idempotence=settings.kafka_enable_idempotence,
            graceful_timeout=10.0,
        )
        self._background: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        self._has_subscribers = False
        self._producer_started = False
        self._tasks: list[asyncio.Task[None]] = []
        self._listener: asyncpg.Connection | None = None

    def subscribe(
        self, topics: Sequence[str], *, consumer: str, handle: EventHandler, types: Collection[str] | None = None
    ) -> None:
        """Consume ``topics`` in group ``consumer`` a record at a time, handling events of ``types`` (None: all); see
        ``leadline.platform.kafka.subscribe_events``."""
        subscribe_events(
            self.broker,
            topics,
            consumer=f"{self.settings.kafka_group_prefix}{consumer}",
            handle=handle,
            types=types,
            dead_letters=lambda: self.dead_letters,
            attempts=self.settings.kafka_consumer_retries,
            fetch_max_wait_ms=self.settings.kafka_fetch_max_wait_ms,
            session_timeout_ms=self.settings.kafka_session_timeout_ms,
        )
        self._has_subscribers = True

    def consume(self, batch_consumer: BatchConsumer) -> BatchConsumer:
        """Subscribe a consumer group that takes a fetched batch at a time; see ``leadline.platform.batches``.

        Up to ``DATABASE_POOL_SIZE`` lanes of keys at once, each its own transaction.
        """
        delivery = BatchDelivery(
            batch_consumer,
            dead_letters=lambda: self.dead_letters,
            group=f"{self.settings.kafka_group_prefix}{batch_consumer.name}",
            lanes=self.settings.database_pool_size,
            attempts=self.settings.kafka_consumer_retries,
        )
        subscribe_batches(
            self.broker,
            delivery,
            fetch_max_wait_ms=self.settings.kafka_fetch_max_wait_ms,
            **membership(self.settings.kafka_session_timeout_ms),
        )
        self._has_subscribers = True
        return batch_consumer

    def run_in_background(self, name: str, loop: Callable[[], Awaitable[None]]) -> None:
        """A long-running task (a worker loop) started with the service and cancelled when it stops."""
        self._background.append((name, loop))

    def run_every(self, name: str, interval_s: float, round_: Callable[[], Awaitable[object]]) -> None:
        """Periodic work (``leadline.platform.rounds.every``): one round now and every ``interval_s`` after."""
        self.run_in_background(name, lambda: every(interval_s, name, round_))

    async def _start_kafka(self) -> None:
        """Keep trying until the broker answers: the service serves HTTP (and stores events) meanwhile."""
        delay = 0.5
        while not self._producer_started:
            try:
                await self.producer.start()
                self._producer_started = True
            except Exception as error:
                log.warning("kafka unavailable; retrying", error=str(error), retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        self._tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        if self._has_subscribers:
            await self.broker.start()
            pace_subscribers(self.broker.subscribers, FetchPacing.of(self.settings))

    async def _listen_for_outbox(self) -> None:
        """Until cancelled: a connection LISTENing for the outbox's NOTIFY, made again whenever it is lost (the database
        was away at start, restarted, or dropped it), so the relay is woken by commits and polls only as a safety net
        (``OUTBOX_POLL_INTERVAL_S``): an idle service does not query its outbox twice a second."""
        pause = 0.5
        while True:
            lost = asyncio.Event()
            try:
                self._listener = await connect_raw(self.settings.database_url)
                self._listener.add_termination_listener(lambda _, lost=lost: lost.set())
                await self._listener.add_listener(OUTBOX_NOTIFY_CHANNEL, lambda *_: self.relay.wake())
                self.relay.wake()  # what was committed while nobody listened
                pause = 0.5
                await lost.wait()
                log.warning("outbox listener lost its connection; listening again")
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database is away: readiness says so; the relay still polls
                log.info("outbox listener not connected; retrying", error=str(error), retry_in_s=pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)

    async def start(self) -> None:
        self.producer = create_producer(self.settings, enable_idempotence=self.settings.kafka_enable_idempotence)
        self.relay = OutboxRelay(self.sessions, self.producer, poll_interval_s=self.settings.outbox_poll_interval_s)
        self.dead_letters = DeadLetters(self.producer, self.settings.service_name)
        configure_logging(
            self.settings.service_name,
            level=self.settings.log_level,
            fmt=self.settings.log_format,
            unmasked=self.settings.log_unmasked,
        )
        configure_tracing(
            self.settings.service_name,
            otlp_endpoint=self.settings.otel_exporter_otlp_endpoint,
            console=self.settings.otel_console_exporter,
        )
        self._tasks.append(asyncio.create_task(self._listen_for_outbox(), name="outbox-listener"))
        self._tasks.append(asyncio.create_task(self._start_kafka(), name="kafka-start"))
        self._tasks.append(
            asyncio.create_task(
                every(BACKLOG_MEASURE_INTERVAL_S, "outbox-backlog", lambda: measure_backlog(self.sessions)),
                name="outbox-backlog",
            )
        )
        for name, loop in self._background:
            self._tasks.append(asyncio.create_task(loop(), name=name))
        log.info("service started", port=self.settings.http_port)

    async def stop(self, *, step_timeout_s: float = 10.0) -> None:
        """Stop everything, each step bounded: a stuck dependency must not keep a pod (or a test) from exiting."""

        async def bounded(name: str, step: Awaitable[object]) -> None:
            try:
                await asyncio.wait_for(step, timeout=step_timeout_s)
            except TimeoutError:
                log.warning("shutdown step timed out", step=name, timeout_s=step_timeout_s)
            except Exception as error:  # stopping goes on whatever one step says
                log.warning("shutdown step failed", step=name, error=str(error))

        for task in self._tasks:
            task.cancel()
        await bounded("background tasks", asyncio.gather(*self._tasks, return_exceptions=True))
        if self._has_subscribers:
            await bounded("consumers", self.broker.stop())
        if self._producer_started and self.producer is not None:
            await bounded("producer", self.producer.stop())
        if self._listener is not None:
            await bounded("outbox listener", self._listener.close())
        await bounded("database", self.engine.dispose())
        log.info("service stopped")

    async def kafka_ready(self) -> bool:
        if not self._producer_started:
            return False
        await self.producer.client.fetch_all_metadata()
        return True

    @contextlib.asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()


def create_service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    routers: Sequence[APIRouter] = (),
    description: str = "",
    untraced_paths: frozenset[str] | set[str] = frozenset(),
) -> FastAPI:
    """The FastAPI app of a service: its routers plus health, metrics, errors and request context.

    ``untraced_paths``: long-lived streams (one span per connection says nothing) and endpoints whose query
    carries a credential (EventSource, ``<img>`` and ``<audio>`` cannot send headers) are kept out of traces;
    each is a regular expression a whole path must match.
    """
    untraced = re.compile("|".join(f"(?:{pattern})" for pattern in untraced_paths)) if untraced_paths else None
    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=runtime.lifespan,
        telemetry=server_spans(
            exclude=(lambda scope: untraced.fullmatch(scope.get("path", "")) is not None) if untraced else None
        ),
    )
    install_error_handlers(app)
    install_request_context(app)
    # Ready while the database answers: every service's HTTP API reads and writes its own database only, and what it
    # publishes waits in the outbox while the broker is away. The broker's state is reported, never gating: a broker
    # outage hits every pod alike, and taking them all out of their Services would turn stale inboxes into a
    # full outage (and Meta's webhooks into failed deliveries). README "Operating leadline" has the whole reasoning.
    app.include_router(
        health_router(
            {"database": lambda: ping(runtime.engine)},
            reports={"kafka": runtime.kafka_ready},
            metrics=runtime.settings.metrics_port is None,
        )
    )
    app.include_router(asyncapi_router(runtime.settings.service_name))
    for router in routers:
        app.include_router(router)
    app.state.runtime = runtime
    return app
