"""The services' HTTP server: housekeeping once a second, yet a stop signal ends it at once; a taken port exits 3."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import httpx

from leadline.platform.embedded import free_port, wait_for_port

SERVER = """
import sys
from fastapi import FastAPI
from leadline.platform import serve
serve.HOUSEKEEPING_INTERVAL_S = float(sys.argv[2])
app = FastAPI()
app.get("/")(lambda: {"ok": True})
serve.run_http(app, host="127.0.0.1", port=int(sys.argv[1]))
"""


def server_process(port: int, housekeeping_s: float = 1.0) -> subprocess.Popen:
    command = [sys.executable, "-c", SERVER, str(port), str(housekeeping_s)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_stop_signal_ends_the_housekeeping_wait_at_once():
    port = free_port()
    server = server_process(port, housekeeping_s=3600)  # only the signal can end the wait within the test
    try:
        wait_for_port("127.0.0.1", port, timeout_s=60)
        answer = httpx.get(f"http://127.0.0.1:{port}/")
        assert answer.json() == {"ok": True}
        assert answer.headers["date"]  # set by the first housekeeping turn
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)  # uvicorn stops gracefully, then lets the signal end the process
        assert server.returncode in (0, -signal.SIGTERM)
    finally:
        server.kill()


def test_a_server_that_cannot_take_its_port_exits_with_code_3():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = server_process(taken.getsockname()[1])
        try:
            assert server.wait(timeout=60) == 3
        finally:
            server.kill()
