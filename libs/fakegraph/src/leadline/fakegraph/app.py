"""Builds the fake WhatsApp Cloud (Graph) API server: Graph routes, media downloads, ``/_fake`` control."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from leadline.fakegraph.control_api import control_router
from leadline.fakegraph.graph_api import graph_router, media_download_router
from leadline.fakegraph.settings import FakeGraphSettings
from leadline.fakegraph.state import FakeGraphState
from leadline.fakegraph.webhook_sender import WebhookSender


def create_app(
    config: FakeGraphSettings | None = None,
    *,
    state: FakeGraphState | None = None,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Wire one fake server.

    ``state`` lets a test look inside; ``webhook_transport`` lets it receive our webhooks
    in-process (e.g. ``httpx.ASGITransport(receiver_app)``) instead of over the network.
    """
    settings = config or FakeGraphSettings()
    state = state or FakeGraphState()
    sender = WebhookSender(settings, state, transport=webhook_transport)

    app = FastAPI(
        title="leadline fake WhatsApp Cloud API",
        description="Emulates the Graph endpoints leadline uses; see libs/fakegraph/README.md.",
        docs_url="/_fake/docs",
        redoc_url=None,
        openapi_url="/_fake/openapi.json",
    )
    app.state.settings = settings
    app.state.fake = state
    # Control and download routes first: their two-segment paths would otherwise match the
    # Graph catch-all ``GET /{version}/{media_id}``.
    app.include_router(control_router(settings, state, sender))
    app.include_router(media_download_router(settings, state))
    app.include_router(graph_router(settings, state, sender))
    return app
