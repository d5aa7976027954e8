"""Run one service process: optionally migrate its database, then serve HTTP (and its consumers)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.main import STARTUP_FAILURE

from .http import serve_metrics_apart
from .migrations import upgrade_to_head
from .settings import ServiceSettings

#: How long a service keeps an idle HTTP connection open (uvicorn's default, stated here so clients can stay below it).
SERVER_KEEP_ALIVE_S = 5
#: How long our own HTTP clients keep an idle pooled connection to a service: below SERVER_KEEP_ALIVE_S, so a client
#: never sends a request on a connection the service is closing at that moment (it fails before any answer).
CLIENT_KEEP_ALIVE_S = 2.0
HOUSEKEEPING_INTERVAL_S = 1.0


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
    run_http(
        app,
        host=settings.http_host,
        port=settings.http_port,
        timeout_graceful_shutdown=10,
        timeout_keep_alive=SERVER_KEEP_ALIVE_S,
    )


def run_http(app: FastAPI, **config: Any) -> None:
    """uvicorn's ``run`` with the server below and our logging config (``log_config=None``); like uvicorn, it exits
    with code 3 when the server could not start (its port taken)."""
    server = QuietServer(uvicorn.Config(app, log_config=None, **config))
    server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)


class QuietServer(uvicorn.Server):
    """uvicorn's server, its housekeeping turn (the Date header, whether to stop) once a second, not ten times: an
    idle service woke ten times a second for it. A signal to stop still ends the wait at once."""

    _stop_asked: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_asked = asyncio.Event()
        counter = 0  # uvicorn refreshes the Date header on multiples of ten
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 10) % 864_000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_asked.wait(), timeout=HOUSEKEEPING_INTERVAL_S)
            should_exit = await self.on_tick(counter)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._stop_asked is not None:  # a signal handler: hand the wake-up to the loop
            self._loop.call_soon_threadsafe(self._stop_asked.set)
