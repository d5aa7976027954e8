"""OpenTelemetry: one tracer provider per service; W3C trace context in Kafka headers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter


def configure_tracing(
    service: str,
    *,
    otlp_endpoint: str | None = None,
    console: bool = False,
    exporter: SpanExporter | None = None,
) -> TracerProvider:
    """Install the process-wide tracer provider: OTLP when an endpoint is set, console in dev."""
    provider = TracerProvider(resource=Resource.create({"service.name": f"leadline-{service}"}))
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    elif otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces"))
        )
    elif console:
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def current_trace_headers() -> dict[str, str]:
    """The current span's context as W3C headers (``traceparent``), to store or send."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from_headers(headers: Mapping[str, str] | Iterable[tuple[str, bytes]]) -> Context:
    """Rebuild a trace context from stored headers or Kafka's (name, bytes) pairs."""
    if isinstance(headers, Mapping):
        carrier = dict(headers)
    else:
        carrier = {name: value.decode() for name, value in headers}
    return propagate.extract(carrier)


#: The kubelet's probes and Prometheus's scrapes: every few seconds per pod, never worth a trace.
UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def server_spans(*, exclude: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """FastAPI's ``telemetry`` setting for every leadline app: a server span per request continuing the caller's W3C
    context; per-dependency operation spans and FastAPI's own metrics and logs are off (Prometheus and structlog
    cover those). Probes and scrapes are never traced; ``exclude`` keeps more requests out (long-lived streams,
    credentials in the query)."""

    def untraced(scope: dict[str, Any]) -> bool:
        return scope.get("path") in UNTRACED_PATHS or (exclude is not None and exclude(scope))

    return {"tracing": True, "operation_spans": False, "metrics": False, "logs": False, "exclude": untraced}
