"""``python -m leadline.web``: serve the agent inbox page and its API gateway."""

from __future__ import annotations

import uvicorn

from .app import create_app
from .settings import WebSettings


def main() -> None:
    settings = WebSettings()
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()
