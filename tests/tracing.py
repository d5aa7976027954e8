"""The spans services in this process finish, recorded for a test (every service here shares one tracer provider)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from leadline.platform.tracing import configure_tracing


@contextlib.contextmanager
def recorded_spans() -> Iterator[InMemorySpanExporter]:
    """Spans finished while inside; the recording stops on leaving (a provider's processors cannot be removed)."""
    if not hasattr(trace.get_tracer_provider(), "add_span_processor"):  # as every service does at start
        configure_tracing("test")
    exporter = InMemorySpanExporter()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
    try:
        yield exporter
    finally:
        exporter.shutdown()


def server_span(spans: InMemorySpanExporter, path: str) -> ReadableSpan | None:
    """The finished server span of the request to ``path`` (the ``url.path`` FastAPI records), if there is one."""
    found = [
        s
        for s in spans.get_finished_spans()
        if s.kind == trace.SpanKind.SERVER and (s.attributes or {}).get("url.path") == path
    ]
    assert len(found) <= 1, f"{len(found)} server spans for {path}"
    return found[0] if found else None


async def finished_server_span(spans: InMemorySpanExporter, path: str, *, within_s: float = 5.0) -> ReadableSpan:
    """A server span ends as its answer's last byte leaves, which may be just after the caller has read it."""
    deadline = time.monotonic() + within_s
    while (span := server_span(spans, path)) is None:
        assert time.monotonic() < deadline, f"no server span for {path} within {within_s}s"
        await asyncio.sleep(0.01)
    return span
