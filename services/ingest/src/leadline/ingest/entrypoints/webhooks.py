"""HTTP door for Meta's webhooks: verification handshake and signed deliveries.

Order matters and is the rule: room (``WebhooksInFlight``: 503 when full) → size limit → signature (before any parsing) → parse
(no WhatsApp delivery at all → 400 + quarantine, nothing emitted) → store (200 only after
commit; parts that could not be read are quarantined in the same transaction, with their paths).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import Counter, Gauge, Histogram

from leadline.platform.group_commit import GroupCommit
from leadline.platform.http import ApiError, error_body

from ..adapters.cloud_api.parse import MalformedDelivery, UnreadablePart, parse_delivery
from ..domain.webhook_signature import signature_is_valid
from ..service.inbound import AcceptedDelivery, Delivery, accept_deliveries, quarantine_delivery
from ..service.ports import Quarantined, UnitOfWork
from .settings import IngestSettings

log = structlog.get_logger(__name__)

WEBHOOKS_REJECTED = Counter("leadline_ingest_webhooks_rejected_total", "Webhooks refused", ["reason"])
WEBHOOKS_STORED = Counter("leadline_ingest_webhooks_stored_total", "Webhook deliveries stored")
FACTS = Counter("leadline_ingest_webhook_facts_total", "Messages and statuses in stored deliveries", ["outcome"])
PARTS_QUARANTINED = Counter(
    "leadline_ingest_webhook_parts_quarantined_total",
    "Parts of stored deliveries that could not be read, kept in quarantine",
)
WHATSAPP_ERRORS = Counter(
    "leadline_ingest_whatsapp_webhook_errors_total", "Value-level errors[] Meta reported", ["code"]
)
UNOWNED_NUMBER_DELIVERIES = Counter(
    "leadline_ingest_unowned_number_deliveries_total", "Stored deliveries naming a business number no account owns"
)
IN_FLIGHT = Gauge(
    "leadline_ingest_webhooks_in_flight", "Webhook deliveries received and not yet answered (WebhooksInFlight)"
)
STORE_SECONDS = Histogram(
    "leadline_ingest_webhook_batch_store_seconds",
    "Time to store one group-committed batch of deliveries",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)


class WebhooksInFlight:
    """How many deliveries ingest holds at once, each from its arrival until it is stored and answered.

    Beyond ``limit`` a delivery is answered 503 at once, with ``Retry-After``: Meta sends a webhook again until it is
    answered 200, so nothing is lost, and when deliveries come faster than they can be stored, ingest's memory and
    the wait of those it holds stay bounded instead of growing with the queue (at 1,000 webhooks/s on a 2-core
    machine that carries ~300, the queue reached 20,000 requests, ~200 MB, and answers after two minutes)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0

    def take(self) -> bool:
        """Room for one more (it must be given back with ``release``); False when ``limit`` are held."""
        if self.held >= self.limit:
            return False
        self.held += 1
        IN_FLIGHT.set(self.held)
        return True

    def release(self) -> None:
        self.held -= 1
        IN_FLIGHT.set(self.held)


RETRY_AFTER_S = 1


def busy(limit: int) -> JSONResponse:
    """503 for a delivery refused for want of room; counted, not logged one by one (there may be thousands)."""
    WEBHOOKS_REJECTED.labels("busy").inc()
    return JSONResponse(
        error_body("busy", f"ingest holds {limit} webhooks already; send this one again later"),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


class BodyTooLarge(Exception):
    pass


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing early (by Content-Length) or while streaming once it passes ``limit``."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def reject(status: int, reason: str, code: str, message: str) -> JSONResponse:
    WEBHOOKS_REJECTED.labels(reason).inc()
    log.warning("webhook rejected", reason=reason, status=status)  # never the body: it is not trusted
    return JSONResponse(error_body(code, message), status_code=status)


def quarantined_parts(parts: tuple[UnreadablePart, ...], raw_body: bytes) -> tuple[Quarantined, ...]:
    """Each part as its own JSON (ASCII: a lone surrogate stays an escape); the whole body when nested too deeply."""

    def raw(part: UnreadablePart) -> bytes:
        try:
            return json.dumps(part.raw).encode()
        except RecursionError:
            return raw_body

    return tuple(Quarantined(raw(part), part.problem, part.path) for part in parts)


class UnownedNumbers:
    """Business numbers no account owns, each logged once per process (Meta would send them all week)."""

    def __init__(self) -> None:
        self._logged: set[str] = set()

    def report(self, numbers: frozenset[str], default_account_id: str) -> None:
        if not numbers:
            return
        UNOWNED_NUMBER_DELIVERIES.inc()
        for phone_number_id in sorted(numbers - self._logged):
            self._logged.add(phone_number_id)
            log.warning(
                "webhook for a business number no account owns: stored under the default account",
                phone_number_id=phone_number_id,
                account_id=default_account_id,
            )


def webhook_router(settings: IngestSettings, unit_of_work: Callable[[], UnitOfWork]) -> APIRouter:
    router = APIRouter(tags=["whatsapp webhooks"])
    app_secret = settings.whatsapp_app_secret.get_secret_value()

    async def store_batch(deliveries: list[Delivery]) -> list[AcceptedDelivery]:
        with STORE_SECONDS.time():
            return await accept_deliveries(
                deliveries,
                uow=unit_of_work(),
                default_account_id=settings.default_account_id,
                now=lambda: datetime.now(UTC),
            )

    deliveries = GroupCommit(store_batch)
    in_flight = WebhooksInFlight(settings.webhooks_in_flight_limit)
    unowned_numbers = UnownedNumbers()

    @router.get("/webhooks/whatsapp", response_class=PlainTextResponse)
    async def verify_subscription(
        mode: str | None = Query(None, alias="hub.mode"),
        token: str | None = Query(None, alias="hub.verify_token"),
        challenge: str = Query("", alias="hub.challenge"),
    ) -> PlainTextResponse:
        """Meta's handshake: echo the challenge when the verify token matches."""
        if mode == "subscribe" and token == settings.whatsapp_verify_token.get_secret_value():
            return PlainTextResponse(challenge)
        raise ApiError(403, "verification_failed", "hub.mode must be 'subscribe' and hub.verify_token must match")

    @router.post("/webhooks/whatsapp", responses={401: {}, 400: {}, 413: {}, 503: {}})
    async def receive_delivery(request: Request) -> JSONResponse:
        """Store a signed delivery; answers 200 only once it is durably stored (503 when ingest holds too many)."""
        if not in_flight.take():
            return busy(in_flight.limit)
        try:
            return await store_delivery(request)
        finally:
            in_flight.release()

    async def store_delivery(request: Request) -> JSONResponse:
        try:
            raw = await read_limited_body(request, settings.webhook_max_body_bytes)
        except BodyTooLarge:
            return reject(
                413,
                "too_large",
                "body_too_large",
                f"webhook bodies are limited to {settings.webhook_max_body_bytes} bytes",
            )
        if not signature_is_valid(raw, request.headers.get("x-hub-signature-256"), app_secret):
            return reject(
                401, "signature", "invalid_signature", "X-Hub-Signature-256 is missing or does not match the body"
            )
        try:
            parsed = parse_delivery(json.loads(raw))
        except (ValueError, RecursionError, MalformedDelivery) as error:  # no WhatsApp delivery at all
            reason = f"{type(error).__name__}: {error}"[:1000]
            await quarantine_delivery(raw, reason, uow=unit_of_work())
            return reject(400, "malformed", "malformed_delivery", reason)
        for error in parsed.webhook_errors:
            WHATSAPP_ERRORS.labels(str(error.code)).inc()
        if parsed.webhook_errors:
            log.warning("whatsapp reported webhook errors", errors=[e.model_dump() for e in parsed.webhook_errors])
        unreadable = quarantined_parts(parsed.unreadable, raw)
        accepted = await deliveries.submit(
            Delivery(raw, (*parsed.received, *parsed.echoed, *parsed.statuses), unreadable)
        )
        WEBHOOKS_STORED.inc()
        FACTS.labels("new").inc(len(accepted.events))
        FACTS.labels("duplicate").inc(accepted.duplicates)
        if unreadable:
            PARTS_QUARANTINED.inc(len(unreadable))
            log.warning("unreadable parts of a webhook quarantined", problems=[part.reason for part in unreadable])
        unowned_numbers.report(accepted.unowned_numbers, settings.default_account_id)
        return JSONResponse(
            {
                "status": "stored",
                "events": len(accepted.events),
                "duplicates": accepted.duplicates,
                "quarantined": len(unreadable),
            }
        )

    return router
