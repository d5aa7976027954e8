"""``python -m leadline.fakegraph``: serve the fake Graph API with uvicorn (FAKE_GRAPH_HOST/PORT)."""

from __future__ import annotations

import logging

import uvicorn

from leadline.fakegraph.app import create_app
from leadline.fakegraph.settings import FakeGraphSettings


def main() -> None:
    settings = FakeGraphSettings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger(__name__).info(
        "fake Graph API on http://%s:%s, webhooks to %s (auto statuses: %s)",
        settings.host,
        settings.port,
        settings.webhook_url,
        settings.auto_statuses,
    )
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
