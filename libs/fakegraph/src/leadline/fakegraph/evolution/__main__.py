"""``python -m leadline.fakegraph.evolution``: serve the fake Evolution API with uvicorn (FAKE_EVOLUTION_HOST/PORT)."""

from __future__ import annotations

import logging

import uvicorn

from leadline.fakegraph.evolution.server import FakeEvolutionSettings, create_app


def main() -> None:
    settings = FakeEvolutionSettings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger(__name__).info(
        "fake Evolution API on http://%s:%s, instance %s (%s), webhooks to %s",
        settings.host,
        settings.port,
        settings.instance,
        settings.number,
        settings.webhook_url,
    )
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
