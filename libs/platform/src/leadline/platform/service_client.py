"""HTTP clients of other leadline services (leads → router, router → ingest, web → the agent APIs).

Every request carries the current trace context (W3C ``traceparent``), so the called service's server span
continues the caller's trace; idle connections are dropped before the called service closes them (``serve.py``).

OpenTelemetry's own httpx instrumentation would add a client span per call, but it records each call's full URL,
and the page's live stream and media links carry the agent's token in the query: the propagator alone, the same
one the outbox uses for Kafka headers, carries the trace without copying a credential into it.
"""

from __future__ import annotations

from typing import Any

import httpx
from opentelemetry import propagate

from .serve import CLIENT_KEEP_ALIVE_S


async def carry_trace_context(request: httpx.Request) -> None:
    """httpx request hook: the current span's context into the request's headers (nothing outside a span)."""
    propagate.inject(request.headers)


def service_client(
    base_url: str = "", *, transport: httpx.AsyncBaseTransport | None = None, **options: Any
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for calling another leadline service; ``options`` go to httpx (``timeout``...)."""
    return httpx.AsyncClient(
        base_url=base_url.rstrip("/"),
        transport=transport,
        limits=httpx.Limits(keepalive_expiry=CLIENT_KEEP_ALIVE_S),
        event_hooks={"request": [carry_trace_context]},
        **options,
    )
