"""The embedded PostgreSQL is stopped by its last live user, whatever users that died left in its list."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from leadline.platform.embedded import EmbeddedPostgres

# A user in another process: starts (or joins) the server, says its pid, then waits to be killed.
USER = """
import sys, time
from pathlib import Path
from leadline.platform.embedded import EmbeddedPostgres
print(EmbeddedPostgres(Path(sys.argv[1])).start().pid, flush=True)
time.sleep(600)
"""


@pytest.fixture
def servers():
    """Pids of the servers a test starts: whatever the test's outcome, none outlives it."""
    started: list[int] = []
    yield started
    for pid in started:
        if running(pid):
            psutil.Process(pid).send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
            eventually_stopped(pid)


def another_user(data_dir: Path, servers: list[int]) -> tuple[subprocess.Popen[str], int]:
    """A live process using the server in ``data_dir``, and the server's pid."""
    process = subprocess.Popen(
        [sys.executable, "-c", USER, str(data_dir)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    servers.append(int(process.stdout.readline()))
    return process, servers[-1]


def kill(process: subprocess.Popen[str]) -> None:
    process.kill()  # SIGKILL: it never lets go of the server
    process.wait()


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def eventually_stopped(pid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not running(pid)


def test_a_server_is_left_to_a_live_user_and_stopped_by_the_next_run_once_that_user_was_killed(tmp_path, servers):
    data_dir = tmp_path / "postgres"
    user, server = another_user(data_dir, servers)
    try:
        shared = EmbeddedPostgres(data_dir).start()
        assert (shared.found_running, shared.other_users) == (server, [user.pid])
        shared.stop()
        assert running(server) and shared.other_users == [user.pid], "left running for the live user"
    finally:
        kill(user)

    after_the_crash = EmbeddedPostgres(data_dir).start()

    assert (after_the_crash.found_running, after_the_crash.other_users) == (server, []), "the dead user is forgotten"
    after_the_crash.stop()
    assert eventually_stopped(server)


def test_a_fresh_start_refuses_while_a_live_user_remains_then_stops_what_a_killed_one_left_and_deletes_it(
    tmp_path, servers
):
    data_dir = tmp_path / "postgres"
    user, server = another_user(data_dir, servers)
    try:
        with pytest.raises(RuntimeError, match=f"in use by pid {user.pid}"):
            EmbeddedPostgres(data_dir).discard()
        assert running(server) and (data_dir / "PG_VERSION").exists()
    finally:
        kill(user)

    EmbeddedPostgres(data_dir).discard()

    assert eventually_stopped(server) and not data_dir.exists()
