"""HTTP edge shared by every service: JSON errors, /healthz, /readyz, /metrics, /asyncapi, request context."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from functools import cache

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, Histogram, generate_latest, start_http_server
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from leadline.events import asyncapi

from .settings import ServiceSettings

log = structlog.get_logger(__name__)

ReadinessCheck = Callable[[], Awaitable[object]]
#: SQLSTATEs of text PostgreSQL cannot store: character_not_in_repertoire (the NUL character, \u0000, which JSON and
#: Python strings allow) and untranslatable_character. The caller sent it; the transaction was rolled back.
TEXT_THE_DATABASE_CANNOT_STORE = frozenset({"22021", "22P05"})
#: How long /readyz waits for each dependency; below the readiness probe's timeoutSeconds (3 s in deploy/k8s), so a
#: slow dependency makes a 503 the kubelet reads rather than a probe that timed out.
READINESS_TIMEOUT_S = 2.0
DEPENDENCY_UP = Gauge(
    "leadline_dependency_up", "1 if the dependency answered the last /readyz probe in time, else 0", ["dependency"]
)
REQUEST_SECONDS = Histogram(
    "leadline_http_request_seconds",
    "HTTP request latency",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


class ApiError(Exception):
    """An error an API caller can act on: HTTP status, stable code, human message."""

    def __init__(self, status: int, code: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def error_body(code: str, message: str, **details: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, **({"details": details} if details else {})}}


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as ``{"error": {"code", "message", "details"?}}``."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, error: ApiError) -> JSONResponse:
        return JSONResponse(
            error_body(error.code, error.message, **error.details),
            status_code=error.status,
            headers={"WWW-Authenticate": "Bearer"} if error.status == 401 else None,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return JSONResponse(error_body(code, str(error.detail)), status_code=error.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(part) for part in item["loc"]), "problem": item["msg"]} for item in error.errors()
        ]
        return JSONResponse(
            error_body("invalid_request", "the request is not valid", problems=problems), status_code=422
        )

    @app.exception_handler(DBAPIError)
    async def _text_that_cannot_be_stored(_: Request, error: DBAPIError) -> JSONResponse:
        if getattr(error.orig, "sqlstate", None) not in TEXT_THE_DATABASE_CANNOT_STORE:
            raise error  # any other database failure stays a 500
        return JSONResponse(
            error_body(
                "invalid_text",
                "a text in the request holds a character that cannot be stored (the NUL character, \\u0000)",
            ),
            status_code=422,
        )


def health_router(
    checks: Mapping[str, ReadinessCheck],
    *,
    reports: Mapping[str, ReadinessCheck] | None = None,
    timeout_s: float = READINESS_TIMEOUT_S,
    metrics: bool = True,
) -> APIRouter:
    """``/healthz``: the process answers (liveness). ``/readyz``: the pod can do its job (readiness). ``/metrics``
    too unless ``metrics`` is False (the process serves it on its own port: ``serve_metrics_apart``).

    ``checks`` decide readiness: each must answer within ``timeout_s``. ``reports`` are dependencies whose state the
    answer and ``leadline_dependency_up`` show but that never take the pod out of its Service (ingest's broker:
    the outbox holds events while it is away). Both run concurrently, so the probe takes at most ``timeout_s``.
    """
    router = APIRouter(include_in_schema=False)
    reports = reports or {}

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        async def run(name: str, check: ReadinessCheck) -> tuple[str, str]:
            try:
                result = await asyncio.wait_for(check(), timeout=timeout_s)
                state = "ok" if result is not False else "unavailable"
            except Exception as error:  # a readiness probe reports, it does not raise
                state = f"unavailable: {type(error).__name__}"
            DEPENDENCY_UP.labels(name).set(1 if state == "ok" else 0)
            return name, state

        everything = {**checks, **reports}
        results = dict(await asyncio.gather(*(run(name, check) for name, check in everything.items())))
        ready = all(results[name] == "ok" for name in checks)
        body: dict[str, object] = {
            "status": "ready" if ready else "not_ready",
            "checks": {name: results[name] for name in checks},
        }
        if reports:
            body["reports"] = {name: results[name] for name in reports}
        return JSONResponse(body, status_code=200 if ready else 503)

    if metrics:

        @router.get("/metrics")
        async def metrics_text() -> Response:
            return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def serve_metrics_apart(settings: ServiceSettings) -> None:
    """``/metrics`` on ``METRICS_PORT`` (prometheus_client's own small server, in a thread), when one is set."""
    if settings.metrics_port is not None:
        start_http_server(settings.metrics_port, addr=settings.http_host)


def asyncapi_router(service: str | None) -> APIRouter:
    """``/asyncapi``: the AsyncAPI 3.0 document (JSON) of the topics ``service`` sends to and receives from;
    ``None`` for the whole system's. Built on the first request: it costs a few hundred milliseconds."""
    if service is not None and service not in asyncapi.services():
        raise ValueError(f"{service!r} sends and receives on no topic of the catalogue (leadline.events.topics)")
    router = APIRouter(include_in_schema=False)
    built = cache(lambda: asyncapi.document(service))

    @router.get("/asyncapi")
    async def asyncapi_document() -> JSONResponse:
        return JSONResponse(built())

    return router


class RequestContextMiddleware:
    """Pure ASGI: a request id in every log line and on the response, and the latency histogram.

    Server spans (continuing the caller's ``traceparent``) come from FastAPI's own
    OpenTelemetry support; a ``BaseHTTPMiddleware`` here would cost a task per request.
    """

    def __init__(self, app: Callable) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = next((v.decode() for k, v in scope["headers"] if k == b"x-request-id"), None) or str(uuid.uuid4())
        started = time.perf_counter()
        status = 500

        async def send_with_request_id(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_request_id)
            finally:
                route = getattr(scope.get("route"), "path", "unmatched")
                REQUEST_SECONDS.labels(scope["method"], route, str(status)).observe(time.perf_counter() - started)


def install_request_context(app: FastAPI) -> None:
    app.add_middleware(RequestContextMiddleware)
