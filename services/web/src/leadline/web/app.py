"""The gateway's FastAPI app: health, dev log-in (optional), the API proxy, then the static page.

It owns no database and no topic: ``/readyz`` reports whether the three services it fronts answer.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import httpx
import structlog
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from leadline.platform.http import asyncapi_router, health_router, install_error_handlers, install_request_context
from leadline.platform.logging import configure_logging
from leadline.platform.serve import CLIENT_KEEP_ALIVE_S

from .dev_login import dev_login_api
from .proxy import api_proxy
from .settings import WebSettings

log = structlog.get_logger(__name__)
# Idle connections are dropped before the services close them (serve.py): reusing one a service was closing
# failed before any answer ("server disconnected"), and the page got a 502.
UPSTREAM_LIMITS = httpx.Limits(keepalive_expiry=CLIENT_KEEP_ALIVE_S)


def create_app(settings: WebSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """``transport`` lets tests put the upstream services in-process."""
    client = httpx.AsyncClient(transport=transport, follow_redirects=False, limits=UPSTREAM_LIMITS)
    upstreams = {"router": settings.router_url, "leads": settings.leads_url, "history": settings.history_url}

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, level=settings.log_level, fmt=settings.log_format,
                          unmasked=settings.log_unmasked)
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

    app = FastAPI(title="leadline web", version="0.1.0", lifespan=lifespan,
                  description="The agent inbox page and the gateway to the agent APIs.")
    install_error_handlers(app)
    install_request_context(app)
    app.include_router(health_router({name: answers(base) for name, base in upstreams.items()}))
    app.include_router(asyncapi_router(None))  # the gateway owns no topic: it shows the whole system's

    @app.get("/api/config", include_in_schema=False)
    async def page_config() -> dict[str, object]:
        """What the page needs to know: whether the dev agent picker exists, and which template asks a customer
        known only by BSUID for their number (one approved with WhatsApp's REQUEST_CONTACT_INFO button)."""
        template = {"name": settings.web_request_contact_template, "language": settings.web_request_contact_template_language}
        return {"dev_login": settings.web_dev_login, "request_contact_template": template}

    if settings.web_dev_login:
        app.include_router(dev_login_api(settings))
    app.include_router(api_proxy(upstreams, client, timeout_s=settings.upstream_timeout_s))
    app.mount("/", StaticFiles(directory=settings.web_static_dir, html=True, check_dir=False), name="page")
    return app
