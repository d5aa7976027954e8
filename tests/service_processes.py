"""A service in its own process, for tests that kill it (``LEADLINE_CRASH_AT``) and start it again."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import REPO


def spawn_service(
    service: str, *, port: int, env: dict[str, str], crash_at: str | None = None, log_path: Path | None = None
) -> subprocess.Popen[bytes]:
    """``python -m leadline.<service>`` on ``port`` with ``env`` added; killed at ``crash_at`` when given.

    Its log (stderr, JSON lines) goes to ``log_path`` when given, else nowhere.
    """
    full = {k: v for k, v in os.environ.items() if k != "LEADLINE_CRASH_AT"}
    full.update(env, HTTP_PORT=str(port), PYTHONPATH=str(REPO))
    if crash_at:
        full["LEADLINE_CRASH_AT"] = crash_at
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - the child holds it open
    try:
        return subprocess.Popen(
            [sys.executable, "-m", f"leadline.{service}"],
            env=full,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT if log_path else subprocess.DEVNULL,
        )
    finally:
        if log_path:
            log.close()


async def wait_healthy(port: int, *, timeout_s: float = 30.0) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(int(timeout_s / 0.1)):
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"nothing healthy on port {port} after {timeout_s}s")
