"""The gateway's FastAPI app: health, dev log-in (optional), the API proxy, then the static page.

It owns no database and no topic. ``/readyz`` is ready while the gateway can serve the page (its files are there):
the three services it fronts are reported (``reports``, ``leadline_dependency_up``), never gating — each has its
own readiness behind its own Service, and one of them being down must not take the page, and the other two APIs,
away from every agent.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import structlog
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from leadline.platform.http import asyncapi_router, health_router, install_error_handlers, install_request_context
from leadline.platform.logging import configure_logging
from leadline.platform.service_client import service_client
from leadline.platform.tracing import configure_tracing, server_spans

from .dev_login import dev_login_api
from .proxy import api_proxy
from .settings import WebSettings

log = structlog.get_logger(__name__)


def carries_a_credential(scope: dict) -> bool:
    """The live stream and media links carry the agent's token in the query (EventSource, ``<img>`` and ``<audio>``
    cannot send headers): such requests are kept out of traces."""
    return b"access_token=" in scope.get("query_string", b"")


def create_app(settings: WebSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """``transport`` lets tests put the upstream services in-process."""
    # idle connections dropped before the services close them: reusing one a service was closing was a 502
    client = service_client(transport=transport, follow_redirects=False)
    upstreams = {"router": settings.router_url, "leads": settings.leads_url, "history": settings.history_url}

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        configure_logging(
            settings.service_name, level=settings.log_level, fmt=settings.log_format, unmasked=settings.log_unmasked
        )
        configure_tracing(
            settings.service_name,
            otlp_endpoint=settings.otel_exporter_otlp_endpoint,
            console=settings.otel_console_exporter,
        )
        # httpx logs every URL it calls at INFO: the live stream's URL carries the agent's token
        logging.getLogger("httpx").setLevel(logging.WARNING)
        log.info("web gateway started", port=settings.http_port, dev_login=settings.web_dev_login)
        try:
            yield
        finally:
            await client.aclose()

    def answers(base: str):
        async def check() -> bool:
            return (await client.get(f"{base.rstrip('/')}/healthz", timeout=2.0)).status_code == 200

        return check

    async def page_available() -> bool:
        return (Path(settings.web_static_dir) / "index.html").is_file()

    app = FastAPI(
        title="leadline web",
        version="0.1.0",
        lifespan=lifespan,
        description="The agent inbox page and the gateway to the agent APIs.",
        telemetry=server_spans(exclude=carries_a_credential),
    )
    install_error_handlers(app)
    install_request_context(app)
    app.include_router(
        health_router(
            {"page": page_available},
            reports={name: answers(base) for name, base in upstreams.items()},
            metrics=settings.metrics_port is None,
        )
    )
    app.include_router(asyncapi_router(None))  # the gateway owns no topic: it shows the whole system's

    @app.get("/api/config", include_in_schema=False)
    async def page_config() -> dict[str, object]:
        """What the page needs to know: whether the dev agent picker exists, and which template asks a customer
        known only by BSUID for their number (one approved with WhatsApp's REQUEST_CONTACT_INFO button)."""
        template = {
            "name": settings.web_request_contact_template,
            "language": settings.web_request_contact_template_language,
        }
        return {"dev_login": settings.web_dev_login, "request_contact_template": template}

    if settings.web_dev_login:
        app.include_router(dev_login_api(settings, client))
    app.include_router(api_proxy(upstreams, client, timeout_s=settings.upstream_timeout_s))
    app.mount("/", StaticFiles(directory=settings.web_static_dir, html=True, check_dir=False), name="page")
    return app
