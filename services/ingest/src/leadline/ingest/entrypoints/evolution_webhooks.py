"""HTTP door for Evolution API (v2) webhooks, one URL per business number: ``/webhooks/evolution/{phone_number_id}``.

Order matters and is the rule: size limit → the number (404 ``unknown_instance`` unless it is connected through
Evolution) → its instance's API key, which Evolution sends as the body's ``apikey`` (servers that expose keys,
``AUTHENTICATION_EXPOSE_IN_FETCH_INSTANCES``) or as an ``apikey`` header set in the instance's webhook headers
(401 ``invalid_api_key``) → the body must name that instance (404 ``unknown_instance``) → parse (no webhook at all:
400 + quarantine) → store (200 only after commit). Refusals store nothing and are counted; Evolution does not
retry 401 and 404. With ``webhook_by_events`` Evolution appends the event to the URL: ``.../{phone_number_id}/{event}``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from prometheus_client import Counter, Gauge

from ..adapters.cloud_api.parse import MalformedDelivery
from ..adapters.evolution.api_keys import EvolutionApiKeys
from ..adapters.evolution.webhooks import parse_webhook
from ..domain.evolution_instances import EvolutionNumber, connection_of
from ..service.evolution_inbound import accept_evolution_delivery
from ..service.inbound import quarantine_delivery
from ..service.ports import MediaStore, UnitOfWork
from .settings import IngestSettings
from .webhooks import (
    FACTS,
    PARTS_QUARANTINED,
    WEBHOOKS_STORED,
    BodyTooLarge,
    quarantined_parts,
    read_limited_body,
    reject,
)

log = structlog.get_logger(__name__)

EVOLUTION_IGNORED = Counter(
    "leadline_ingest_evolution_ignored_total",
    "Parts of stored Evolution webhooks not read, by why: group, broadcast, status, newsletter, event, status_update",
    ["reason"],
)
#: Per number and connection (connected, connecting, disconnected, refused): when a replica last heard of it. The
#: newest connection per number is its state whichever replica heard it; the runbook's "Evolution number
#: disconnected" alert fires while a number's newest is disconnected or refused.
EVOLUTION_CONNECTION_SEEN = Gauge(
    "leadline_ingest_evolution_connection_last_seen_timestamp_seconds",
    "When this replica last heard of each Evolution number's connection state",
    ["phone_number_id", "connection"],
)
PhoneNumberIdPath = Path(pattern=r"^\d{1,32}$", description="The business number's id in leadline's configuration")


def _presented_key(request: Request, body: Any) -> str | None:
    header = request.headers.get("apikey")
    if header:
        return header
    key = body.get("apikey") if isinstance(body, dict) else None
    return key if isinstance(key, str) else None


def _authentic(presented: str | None, expected: str | None) -> bool:
    """Constant-time; no key configured authenticates nobody."""
    if not presented or not expected:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


def evolution_webhook_router(
    settings: IngestSettings,
    unit_of_work: Callable[[], UnitOfWork],
    store: MediaStore,
    api_keys: EvolutionApiKeys,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> APIRouter:
    router = APIRouter(tags=["evolution webhooks"])

    async def number_of(phone_number_id: str) -> EvolutionNumber | None:
        async with unit_of_work() as uow:
            return await uow.numbers.evolution_number(phone_number_id)

    async def receive(phone_number_id: str, request: Request) -> JSONResponse:
        try:
            raw = await read_limited_body(request, settings.webhook_max_body_bytes)
        except BodyTooLarge:
            limit = settings.webhook_max_body_bytes
            return reject(413, "too_large", "body_too_large", f"webhook bodies are limited to {limit} bytes")
        number = await number_of(phone_number_id)
        if number is None:
            return reject(404, "unknown_instance", "unknown_instance", "no number connected through Evolution API here")
        try:
            body: Any = json.loads(raw)
        except (ValueError, RecursionError):
            body = None
        if not _authentic(_presented_key(request, body), api_keys.key(number.instance.api_key_secret)):
            return reject(401, "evolution_api_key", "invalid_api_key", "apikey is missing or is not this instance's")
        if not isinstance(body, dict) or body.get("instance") != number.instance.instance:
            if isinstance(body, dict) and isinstance(body.get("instance"), str):
                return reject(404, "unknown_instance", "unknown_instance", "the body names another instance")
            reason = "not an Evolution webhook: no JSON object naming its instance"
            await quarantine_delivery(raw, reason, uow=unit_of_work())
            return reject(400, "malformed", "malformed_delivery", reason)
        now = clock()
        try:
            parsed = parse_webhook(
                body, phone_number_id=number.phone_number_id, display_number=_display(body, number), received_at=now
            )
        except (MalformedDelivery, RecursionError) as error:
            reason = f"{type(error).__name__}: {error}"[:1000]
            await quarantine_delivery(raw, reason, uow=unit_of_work())
            return reject(400, "malformed", "malformed_delivery", reason)
        unreadable = quarantined_parts(parsed.unreadable, raw)
        accepted = await accept_evolution_delivery(
            number,
            raw,
            facts=(*parsed.received, *parsed.echoed, *parsed.statuses),
            inline_media=parsed.inline_media,
            connection=parsed.connection,
            unreadable=unreadable,
            uow=unit_of_work,
            store=store,
            now=lambda: now,
        )
        WEBHOOKS_STORED.inc()
        FACTS.labels("new").inc(len(accepted.events))
        FACTS.labels("duplicate").inc(accepted.duplicates)
        for reason in parsed.ignored:
            EVOLUTION_IGNORED.labels(reason).inc()
        if unreadable:
            PARTS_QUARANTINED.inc(len(unreadable))
            log.warning("unreadable parts of an Evolution webhook quarantined", problems=[p.reason for p in unreadable])
        if parsed.connection is not None:
            connection, needs_qr_code = connection_of(parsed.connection.state, parsed.connection.reason_code)
            EVOLUTION_CONNECTION_SEEN.labels(number.phone_number_id, connection).set(now.timestamp())
            log.info(
                "Evolution number connection changed",
                phone_number_id=number.phone_number_id,
                connection=connection,
                needs_qr_code=needs_qr_code,
                reason_code=parsed.connection.reason_code,
            )
        return JSONResponse(
            {
                "status": "stored",
                "events": len(accepted.events),
                "duplicates": accepted.duplicates,
                "ignored": len(parsed.ignored),
                "quarantined": len(unreadable),
            }
        )

    @router.post("/webhooks/evolution/{phone_number_id}", responses={400: {}, 401: {}, 404: {}, 413: {}})
    async def receive_webhook(request: Request, phone_number_id: str = PhoneNumberIdPath) -> JSONResponse:
        """Store an Evolution webhook of the number's instance; answers 200 only once it is durably stored."""
        return await receive(phone_number_id, request)

    @router.post("/webhooks/evolution/{phone_number_id}/{event}", responses={400: {}, 401: {}, 404: {}, 413: {}})
    async def receive_webhook_by_event(
        request: Request, event: str, phone_number_id: str = PhoneNumberIdPath
    ) -> JSONResponse:
        """The same, for instances with ``webhook_by_events`` (the event is read from the body, not the URL)."""
        return await receive(phone_number_id, request)

    return router


def _display(body: dict[str, Any], number: EvolutionNumber) -> str:
    """The business number as WhatsApp shows it: the instance's own JID (``sender``), else leadline's id for it."""
    sender = body.get("sender")
    digits = sender.partition("@")[0].partition(":")[0] if isinstance(sender, str) else ""
    return f"+{digits}" if digits.isdigit() else number.phone_number_id
