"""`leadline run` (what `make run` starts) brings the whole stack up and leaves nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from leadline.platform.embedded import free_port
from tests.conftest import REPO
from tests.infrastructure import as_make_run_runs

SERVICES = ("ingest", "router", "leads", "history")


def wait_for_ready_line(process: subprocess.Popen[str], timeout_s: float, *, seen: list[str] | None = None) -> dict:
    deadline = time.monotonic() + timeout_s
    seen = [] if seen is None else seen
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if line.startswith('{"ready": true'):
            return json.loads(line)
    raise AssertionError("stack never said ready:\n" + "".join(seen) + logs_named_in(seen))


def logs_named_in(lines: list[str]) -> str:
    """The end of each log ``leadline run`` names when a process failed ("… exited with 3; see …/leads.log")."""
    tails = []
    for line in lines:
        if "; see " in line and line.rstrip().endswith(".log"):
            log_file = Path(line.rstrip().rsplit("; see ", 1)[1])
            if log_file.exists():
                tails.append(
                    f"\n--- the end of {log_file} ---\n" + "".join(log_file.read_text().splitlines(True)[-40:])
                )
    return "".join(tails)


def stack_env(var_dir: Path) -> tuple[dict[str, str], dict[str, int]]:
    """The environment of a ``leadline run`` on free ports with its own var dir (other runs share this machine)."""
    ports = {name: free_port() for name in (*SERVICES, "fakegraph", "fakeevolution", "kafka", "web")}
    env = as_make_run_runs(dict(os.environ))
    env.update({f"{name.upper()}_PORT": str(port) for name, port in ports.items() if name in SERVICES})
    env.update(
        FAKE_GRAPH_PORT=str(ports["fakegraph"]),
        FAKE_EVOLUTION_PORT=str(ports["fakeevolution"]),
        FAKE_EVOLUTION_URL=f"http://127.0.0.1:{ports['fakeevolution']}",
        LEADLINE_KAFKA_PORT=str(ports["kafka"]),
        WEB_PORT=str(ports["web"]),
        LEADLINE_VAR_DIR=str(var_dir),
        COLUMNS="200",
    )
    return env, ports


def leadline_run(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "leadline.cli.main", "run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def still_running(pids: dict[str, int]) -> list[str]:
    return [
        name
        for name, pid in pids.items()
        if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    ]


def processes_using(var_dir: Path) -> list[str]:
    """Any process on this machine whose command line names the run's var dir (PostgreSQL does: ``-D <pgdata>``)."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        if str(var_dir) in " ".join(process.info["cmdline"] or ()):
            found.append(f"{process.info['pid']}: {' '.join(process.info['cmdline'])[:120]}")
    return found


def test_the_stack_starts_carries_a_customer_from_pool_to_lead_timeline_and_stops_without_orphans(tmp_path):
    env, ports = stack_env(tmp_path / "var")
    process = leadline_run(env)
    try:
        ready = wait_for_ready_line(process, timeout_s=120)
        pids = ready["pids"]
        assert set(pids) >= {*SERVICES, "fakegraph", "fakeevolution", "kafka", "postgres", "web"}
        for service in SERVICES:
            response = httpx.get(f"http://127.0.0.1:{ports[service]}/readyz", timeout=5)
            assert response.status_code == 200, (service, response.text)
            assert (response.json()["checks"], response.json()["reports"]) == ({"database": "ok"}, {"kafka": "ok"})
        simulated = subprocess.run(
            [
                sys.executable,
                "-m",
                "leadline.cli.main",
                "simulate",
                "say",
                "--from",
                "5511987654321",
                "--text",
                "Olá!",
                "--fake-url",
                f"http://127.0.0.1:{ports['fakegraph']}",
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert simulated.returncode == 0, simulated.stdout + simulated.stderr
        assert "ingest answered 200" in simulated.stdout, "the fake customer's signed webhook was stored by ingest"
        walk_the_whole_story(ports)
        # a customer writes to the Evolution number: through the fake Evolution API, the same way
        on_evolution = subprocess.run(
            [sys.executable, "-m", "leadline.cli.main", "simulate", "say", "--from", "551187654321", "--text", "Oi!"]
            + ["--number", "5511934567890", "--kind", "image"],  # deploy/dev/accounts.yaml's Evolution number
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert on_evolution.returncode == 0, on_evolution.stdout + on_evolution.stderr
        assert "wamid.evo.5511934567890." in on_evolution.stdout and "ingest answered 200" in on_evolution.stdout
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    time.sleep(0.5)
    assert still_running(pids) == [], f"left running after stop: {still_running(pids)}"


@pytest.fixture
def var_dir(tmp_path):
    """The run's var dir; whatever the test's outcome, no process naming it (PostgreSQL) outlives the test."""
    yield tmp_path / "var"
    for process in psutil.process_iter(["cmdline"]):
        if str(tmp_path / "var") in " ".join(process.info["cmdline"] or ()):
            process.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown


def test_a_run_after_one_killed_with_sigkill_says_what_it_found_and_keeps_and_stops_everything(var_dir):
    env, _ = stack_env(var_dir)
    killed = leadline_run(env)
    try:
        run, deadline = psutil.Process(killed.pid), time.monotonic() + 120
        while len(run.children()) < 8 and killed.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)  # until everything is started (tansu, the fake Graph and Evolution APIs, 4 services, web)
        first = {f"child {child.pid}": child.pid for child in run.children()}
        first["postgres"] = int((var_dir / "postgres" / "postmaster.pid").read_text().split()[0])
        killed.kill()  # SIGKILL: no chance to stop anything
        killed.wait(10)
    finally:
        if killed.poll() is None:
            killed.kill()
    children = {name: pid for name, pid in first.items() if name != "postgres"}
    assert len(children) == 8, first
    deadline = time.monotonic() + 30
    while still_running(children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert still_running(children) == [], "children die with a killed run"
    assert still_running({"postgres": first["postgres"]}) == ["postgres"], "the detached database outlives it"

    # the same databases, on ports of its own: the killed run's ports were free for a while, and any process on this
    # machine may have taken one since (an outgoing connection's ephemeral port), which has nothing to do with a run
    env, _ = stack_env(var_dir)
    second = leadline_run(env)
    try:
        lines: list[str] = []
        ready = wait_for_ready_line(second, timeout_s=120, seen=lines)
        second.send_signal(signal.SIGINT)
        output = "".join(lines) + second.communicate(timeout=60)[0]
        assert second.returncode == 0, output
    finally:
        if second.poll() is None:
            second.kill()

    assert ready["pids"]["postgres"] == first["postgres"], "the server the killed run left is the one used"
    assert (
        f"PostgreSQL (pid {first['postgres']}) already running in {var_dir / 'postgres'}, not started by this run"
        in output
    )
    assert "kept      the databases in" in output and "every run starts with empty topics" in output
    time.sleep(0.5)
    assert still_running(first | ready["pids"]) == [], output
    assert processes_using(var_dir) == [], output


def eventually(fetch, check, *, timeout_s: float = 30.0):
    deadline = time.monotonic() + timeout_s
    while True:
        value = fetch()
        if check(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def walk_the_whole_story(ports: dict[str, int]) -> None:
    """Customer writes → pool → Add lead (leads saga claims) → reply reaches WhatsApp → finish → lead timeline."""
    from leadline.platform.settings import ServiceSettings
    from leadline.platform.tokens import mint_token

    token = mint_token(
        secret=ServiceSettings().jwt_secret.get_secret_value(),
        agent_id="ana",
        name="Ana Souza",
        role="seller",
        account_id="acme-motors",
        teams=["vendas"],
    )
    auth = {"Authorization": f"Bearer {token}"}
    router, leads, history, fake = (f"http://127.0.0.1:{ports[n]}" for n in ("router", "leads", "history", "fakegraph"))
    pool = eventually(
        lambda: httpx.get(f"{router}/conversations", params={"status": "new"}, headers=auth).json(),
        lambda body: body.get("items"),
    )
    [conversation] = pool["items"]
    cid = conversation["conversation_id"]
    saved = httpx.post(
        f"{leads}/leads",
        headers=auth,
        timeout=30,
        json={
            "conversation_id": cid,
            "name": conversation["customer_name"],
            "mobile": conversation["customer_phone"],
            "vehicle_of_interest": "Onix 2024",
            "idempotency_key": "e2e-add-lead",
        },
    )
    assert saved.status_code == 201, saved.text
    lead_id = saved.json()["lead_id"]
    reply = httpx.post(
        f"{router}/conversations/{cid}/messages",
        headers=auth,
        json={"idempotency_key": "e2e-reply", "content": {"kind": "text", "body": "Olá! Está sim."}},
    )
    assert reply.status_code == 202, reply.text
    sent = eventually(lambda: httpx.get(f"{fake}/_fake/sent").json()["data"], lambda data: data)
    assert sent[0]["body"]["text"]["body"] == "*Ana Souza:*\nOlá! Está sim."
    assert httpx.post(f"{router}/conversations/{cid}/finish", headers=auth).status_code == 200
    timeline = eventually(
        lambda: httpx.get(f"{history}/leads/{lead_id}/timeline", params={"order": "oldest"}, headers=auth).json(),
        lambda body: any(e["kind"] == "conversation_finished" for e in body.get("entries", [])),
    )
    kinds = [entry["kind"] for entry in timeline["entries"]]
    assert {"message", "conversion_point", "claim", "conversation_finished"} <= set(kinds), kinds
    assert [e["direction"] for e in timeline["entries"] if e["kind"] == "message"] == ["inbound", "outbound"]


def test_simulate_against_a_stack_that_is_not_running_is_a_one_line_error():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "leadline.cli.main",
            "simulate",
            "say",
            "--from",
            "5511987654321",
            "--text",
            "oi",
            "--fake-url",
            f"http://127.0.0.1:{free_port()}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "not reachable" in result.stdout and "Traceback" not in result.stdout + result.stderr
