"""structlog configured once per process: JSON lines, context vars, the current trace, masked personal data."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog
from opentelemetry import trace

#: Keys whose values are message text or other free text a customer wrote.
TEXT_KEYS = frozenset({"body", "text", "caption", "message_text", "content", "first_message", "notes"})
#: Keys whose values are phone numbers or WhatsApp ids.
PHONE_KEYS = frozenset(
    {"phone", "mobile", "wa_id", "customer_wa_id", "to", "from", "customer_phone", "display_phone_number"}
)
_PHONE_IN_TEXT = re.compile(r"\+?\d[\d\s().-]{7,}\d")
#: A chat's stream id (``leadline.events.common.chat_stream_id``) ends in the customer's WhatsApp id, and every
#: consumer binds the stream id to its log lines: the business number stays, the customer's is masked.
_CUSTOMER_IN_CHAT_STREAM = re.compile(r"(wa:[^:\s]+:)(\+?\d+)")


def mask_phone(value: str) -> str:
    """Keep the last two digits so an engineer can tell two numbers apart."""
    digits = re.sub(r"\D", "", value)
    return f"***{digits[-2:]}" if len(digits) >= 2 else "***"


def mask_text(value: Any) -> str:
    return f"<{len(str(value))} chars>"


def mask_personal_data(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: phone numbers and customer texts never reach the log as written."""
    return {key: _mask(key, value) for key, value in event_dict.items()}


def _mask(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _mask(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(key, v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    if key in TEXT_KEYS:
        return mask_text(value)
    if key in PHONE_KEYS:
        return mask_phone(str(value))
    if key == "event":  # the log message itself may quote a number
        return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group()), str(value))
    if isinstance(value, str) and "wa:" in value:
        return _CUSTOMER_IN_CHAT_STREAM.sub(lambda m: m.group(1) + mask_phone(m.group(2)), value)
    return value


def add_trace_context(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the current span's ``trace_id`` and ``span_id`` (W3C hex), so a log line leads to its
    trace and a trace to its log lines. A line written outside any span (start-up, a background loop between
    events) has neither."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict


def configure_logging(service: str, *, level: str = "INFO", fmt: str = "json", unmasked: bool = False) -> None:
    """Configure structlog and route stdlib logging (uvicorn, aiokafka) through it."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        add_trace_context,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
    ]
    if not unmasked:
        shared.append(mask_personal_data)
    renderer = structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer()
    # the same list, changed in place: loggers cached on first use hold it, so a later configuration reaches them too
    processors = structlog.get_config()["processors"]
    processors[:] = [*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter]
    structlog.configure(
        processors=processors,
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    structlog.contextvars.bind_contextvars(service=service)
    for noisy in ("aiokafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # uvicorn's own logging configuration (any server started with its default ``log_config`` in this process) gives
    # its loggers handlers of their own and stops them propagating: their lines would skip the JSON renderer
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
