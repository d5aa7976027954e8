"""Run one service process: optionally migrate its database, then serve HTTP (and its consumers)."""

from __future__ import annotations

import argparse
import gc
from collections.abc import Sequence

import uvicorn
from fastapi import FastAPI

from .http import serve_metrics_apart
from .migrations import upgrade_to_head
from .settings import ServiceSettings

#: How long a service keeps an idle HTTP connection open (uvicorn's default, stated here so clients can stay below it).
SERVER_KEEP_ALIVE_S = 5
#: How long our own HTTP clients keep an idle pooled connection to a service: below SERVER_KEEP_ALIVE_S, so a client
#: never sends a request on a connection the service is closing at that moment (it fails before any answer).
CLIENT_KEEP_ALIVE_S = 2.0


def serve(app: FastAPI, settings: ServiceSettings, *, migrations: str, argv: Sequence[str] = ()) -> None:
    parser = argparse.ArgumentParser(prog=f"leadline-{settings.service_name}")
    parser.add_argument("--migrate", action="store_true", help="apply database migrations before serving")
    parser.add_argument(
        "--migrate-only", action="store_true", help="apply database migrations and exit (Kubernetes Job)"
    )
    args = parser.parse_args(list(argv))
    if args.migrate or args.migrate_only:
        upgrade_to_head(migrations, settings.database_url)
        if args.migrate_only:
            return
    # Everything built so far lives for the whole process: keep it out of the collector's scans,
    # which otherwise stall every request for tens of milliseconds on each full collection.
    gc.collect()
    gc.freeze()
    serve_metrics_apart(settings)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        timeout_graceful_shutdown=10,
        timeout_keep_alive=SERVER_KEEP_ALIVE_S,
    )
