"""OpenTelemetry: one tracer provider per service; W3C trace context in Kafka headers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, DEFAULT_ON, Sampler


class RecordedWhileExported(Sampler):
    """Spans are recorded (as the SDK's default, parent-based) only once something exports them; until then each
    span is a non-recording one that still has its ids and carries the trace on (``traceparent``, logs). Recording a
    span nobody exports was a seventh of an HTTP request's CPU (the span, its attributes, its events)."""

    def __init__(self) -> None:
        self.exporting = False

    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None, trace_state=None):  # type: ignore[no-untyped-def]
        sampler = DEFAULT_ON if self.exporting else ALWAYS_OFF
        return sampler.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return f"RecordedWhileExported{{{'on' if self.exporting else 'off'}}}"


class _Provider(TracerProvider):
    """The SDK's provider whose sampler starts recording when a span processor is added."""

    def __init__(self, *, resource: Resource) -> None:
        self._recording = RecordedWhileExported()
        super().__init__(resource=resource, sampler=self._recording)

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        super().add_span_processor(span_processor)
        self._recording.exporting = True


def configure_tracing(
    service: str,
    *,
    otlp_endpoint: str | None = None,
    console: bool = False,
    exporter: SpanExporter | None = None,
) -> TracerProvider:
    """Install the process-wide tracer provider: OTLP when an endpoint is set, console in dev; with neither, spans are
    not recorded (``RecordedWhileExported``) until a processor is added."""
    provider = _Provider(resource=Resource.create({"service.name": f"leadline-{service}"}))
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    elif otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces"))
        )
    elif console:
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter(formatter=console_json)))
    trace.set_tracer_provider(provider)
    return provider


def console_json(span: ReadableSpan) -> str:
    """The console exporter's JSON of a span, with bytes attributes as text (FastStream puts a Kafka record's key in a
    span as bytes, which OTLP carries but the SDK's own JSON cannot: every consumed record's span failed to print)."""
    attributes = span.attributes or {}
    if any(isinstance(value, bytes) for value in attributes.values()):
        span = ReadableSpan(
            name=span.name,
            context=span.context,
            parent=span.parent,
            resource=span.resource,
            attributes={
                key: value.decode(errors="backslashreplace") if isinstance(value, bytes) else value
                for key, value in attributes.items()
            },
            events=span.events,
            links=span.links,
            kind=span.kind,
            status=span.status,
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )
    return span.to_json() + "\n"


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
