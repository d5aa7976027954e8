"""Load shedding at ingest's webhook doors: past a bound on webhooks handled at once, 503 + ``Retry-After`` at once.

Meta retries a webhook that is not answered 200 (with backoff, for up to 7 days) and Evolution API retries a 5xx
(10 tries over about 20 minutes by default), so a webhook ingest cannot store in time is better refused fast than
held: a held request keeps its connection, its body and its place in the group commit's queue, and under a load
ingest cannot take they pile up without bound (274 MB and a 113 s answer p99 in issue 16's run).

A pure ASGI middleware, not uvicorn's ``--limit-concurrency``: that one counts every connection (idle keep-alive
ones too) and every request, probes included, so an overloaded pod would fail its liveness probe and be restarted,
and its 503 carries no ``Retry-After``. Here only POSTs under ``/webhooks/`` count (Meta's and Evolution's doors);
``/healthz``, ``/readyz``, ``/metrics``, media and template routes, and Meta's GET handshake always pass.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog
from prometheus_client import Counter, Gauge

from leadline.platform.http import error_body

log = structlog.get_logger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

WEBHOOKS_SHED = Counter(
    "leadline_ingest_webhooks_shed_total",
    "Webhooks answered 503 at once because INGEST_MAX_WEBHOOKS_IN_FLIGHT were being handled (the sender retries)",
)
WEBHOOKS_IN_FLIGHT = Gauge("leadline_ingest_webhooks_in_flight", "Webhooks being handled now")
WEBHOOK_DOORS = "/webhooks/"
#: What a shed webhook's sender is asked to wait: about the time ingest needs to store a full bound's worth.
RETRY_AFTER_S = 1
#: At most one log line this often while shedding, with how many were shed since the last one.
LOG_EVERY_S = 10.0

_SHED_BODY = json.dumps(
    error_body(
        "overloaded", "ingest is handling as many webhooks as it can take; retry after the seconds in Retry-After"
    )
).encode()


class WebhookShedding:
    """Invariant: at most ``limit`` webhooks are inside the app at once (``limit`` 0: no bound); a webhook's slot is
    given back however its request ends (answered, failed or cancelled)."""

    def __init__(self, app: App, *, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0
        self._clock = clock
        self._shed_since_log = 0
        self._logged_at = float("-inf")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._bounded(scope):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await self._shed(send)
            return
        self.in_flight += 1
        WEBHOOKS_IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            WEBHOOKS_IN_FLIGHT.dec()

    def _bounded(self, scope: Scope) -> bool:
        return (
            self.limit > 0
            and scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].startswith(WEBHOOK_DOORS)
        )

    async def _shed(self, send: Send) -> None:
        """Answered before the body is read or the signature checked: a refusal must cost next to nothing."""
        WEBHOOKS_SHED.inc()
        self._shed_since_log += 1
        now = self._clock()
        if now - self._logged_at >= LOG_EVERY_S:
            log.warning(
                "webhooks shed: ingest is at its bound of webhooks in flight; senders retry them",
                shed=self._shed_since_log,
                limit=self.limit,
            )
            self._logged_at, self._shed_since_log = now, 0
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(_SHED_BODY)).encode()),
                    (b"retry-after", str(RETRY_AFTER_S).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": _SHED_BODY})
