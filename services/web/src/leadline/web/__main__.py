"""``python -m leadline.web``: serve the agent inbox page and its API gateway."""

from __future__ import annotations

from leadline.platform.http import serve_metrics_apart
from leadline.platform.serve import run_http

from .app import create_app
from .settings import WebSettings


def main() -> None:
    settings = WebSettings()
    serve_metrics_apart(settings)
    run_http(create_app(settings), host=settings.http_host, port=settings.http_port, timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()
