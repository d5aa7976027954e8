"""The whole leadline system on one machine: what ``make run`` starts.

Order: broker and database (embedded unless ``KAFKA_BOOTSTRAP_SERVERS`` /
``DATABASE_URL`` are set) → one database per service → each service's migrations →
topics with their partition counts → the fake Graph API and the four services as
child processes, then the web gateway (the agent inbox page) → wait until every ``/readyz`` answers. Stopping (Ctrl-C, SIGTERM)
ends the children, the broker and the database; children also die with this process. The embedded database is
detached (``pg_ctl``) and outlives a run killed with SIGKILL: the next run finds it, says so, and stops it.

What a restart keeps: the databases in ``var/postgres`` (every service's state, the source of truth), not the
broker's topics (tansu keeps them in memory). ``--fresh`` (``StackConfig.fresh``) empties the databases too.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import yaml

from leadline.platform.db import _asyncpg_connect_kwargs, ensure_database, with_database
from leadline.platform.embedded import EmbeddedKafka, EmbeddedPostgres, _die_with_parent
from leadline.platform.migrations import upgrade_to_head
from leadline.platform.settings import KafkaSettings
from leadline.platform.topic_admin import ensure_topics

SERVICES = ("ingest", "router", "leads", "history")
REPO_ROOT = Path(__file__).resolve().parents[5]  # libs/cli/src/leadline/cli/stack.py
DEFAULT_PORTS = {
    "ingest": 8001,
    "router": 8002,
    "leads": 8003,
    "history": 8004,
    "fakegraph": 8010,
    "fakeevolution": 8011,  # deploy/dev/accounts.yaml's Evolution number names this port as its instance's base_url
    "web": 8000,
}
MODULES = {"fakeevolution": "leadline.fakegraph.evolution"}
"""The module each child runs, where it is not ``leadline.<name>``."""
DEV_ACCOUNTS_FILE = REPO_ROOT / "deploy" / "dev" / "accounts.yaml"
DEV_SECRETS = {
    "WHATSAPP_APP_SECRET": "dev-app-secret",
    "WHATSAPP_VERIFY_TOKEN": "dev-verify-token",
    "WHATSAPP_ACCESS_TOKEN": "dev-access-token",
}
# The Evolution number of deploy/dev/accounts.yaml: its instance, the secret naming its key, the key, its number.
DEV_EVOLUTION = {
    "instance": "acme-usados",
    "secret": "acme-usados",
    "key": "dev-evolution-api-key",
    "number": "5511934567890",
}


def fully_ready(answer: httpx.Response) -> bool:
    """Ready, and reaching what it only reports too (the broker; web: the APIs): a pod in a cluster takes traffic
    without the broker, but a dev stack says "ready" once everything in it is connected."""
    if answer.status_code != 200:
        return False
    body = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
    return all(state == "ok" for state in (body.get("reports") or {}).values())


@dataclass(frozen=True)
class StackConfig:
    var_dir: Path
    host: str = "127.0.0.1"
    kafka_bootstrap_servers: str | None = None
    database_url: str | None = None
    kafka_port: int = 9092
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    fresh: bool = False
    """Start from empty embedded databases: delete ``var/postgres`` and ``var/media`` first."""
    ready_timeout_s: float = field(default_factory=lambda: float(os.environ.get("LEADLINE_READY_TIMEOUT_S", "60")))
    """How long the services may take to answer /readyz (a machine shared with other test runs may need more)."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> StackConfig:
        env = dict(os.environ if environ is None else environ)
        ports = {name: int(env.get(f"{name.upper()}_PORT", default)) for name, default in DEFAULT_PORTS.items()}
        ports["fakegraph"] = int(env.get("FAKE_GRAPH_PORT", DEFAULT_PORTS["fakegraph"]))
        ports["fakeevolution"] = int(env.get("FAKE_EVOLUTION_PORT", DEFAULT_PORTS["fakeevolution"]))
        return cls(
            var_dir=Path(env.get("LEADLINE_VAR_DIR", "var")).absolute(),
            kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            database_url=env.get("DATABASE_URL") or None,
            kafka_port=int(env.get("LEADLINE_KAFKA_PORT", 9092)),
            ports=ports,
        )

    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.ports[name]}"


def service_database(server_url: str, service: str) -> str:
    return with_database(server_url, f"leadline_{service}")


def what_a_restart_keeps(*, embedded_broker: bool, embedded_database: Path | None) -> str | None:
    """The one start-up line saying what survives stopping and starting ``make run`` again."""
    if not embedded_broker:
        return f"kept      the databases in {embedded_database} between runs" if embedded_database else None
    databases = f"the databases in {embedded_database}" if embedded_database else "what DATABASE_URL holds"
    fresh = " (`leadline run --fresh` empties them too)" if embedded_database else ""
    return (
        f"kept      {databases} (agents, conversations, leads, timelines){fresh}, but not the broker's "
        "topics: tansu keeps them in memory, so every run starts with empty topics, `leadline events tail` shows "
        "this run's events only and `leadline replay` refuses to rebuild from them what earlier runs built"
    )


def found_server_note(postgres: EmbeddedPostgres) -> str | None:
    """Say so when the database server was already running: left by a run that died, or shared with a live one."""
    if postgres.found_running is None:
        return None
    where = f"PostgreSQL (pid {postgres.found_running}) already running in {postgres.data_dir}"
    if postgres.other_users:
        users = ", ".join(map(str, postgres.other_users))
        return f"database  {where}, also used by pid {users}: sharing it; it keeps running when this run stops"
    return (
        f"database  {where}, not started by this run (an earlier run did not stop cleanly): using it, "
        "and stopping it when this run stops"
    )


class Stack:
    def __init__(self, config: StackConfig, *, say=print) -> None:
        self.config = config
        self.say = say
        self.kafka: EmbeddedKafka | None = None
        self.postgres: EmbeddedPostgres | None = None
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.bootstrap_servers = ""
        self.server_url = ""

    def start(self) -> None:
        self.config.var_dir.mkdir(parents=True, exist_ok=True)
        (self.config.var_dir / "logs").mkdir(exist_ok=True)
        self._start_infrastructure()
        asyncio.run(self._prepare_databases_and_topics())
        for service in SERVICES:
            upgrade_to_head(f"leadline.{service}:adapters/migrations", service_database(self.server_url, service))
        self._spawn("fakegraph", [sys.executable, "-m", "leadline.fakegraph"], self._fakegraph_env())
        self._spawn("fakeevolution", [sys.executable, "-m", MODULES["fakeevolution"]], self._fakeevolution_env())
        for service in SERVICES:
            self._spawn(service, [sys.executable, "-m", f"leadline.{service}"], self._service_env(service))
        self._spawn("web", [sys.executable, "-m", "leadline.web"], self._web_env())
        self._wait_until_ready(self.config.ready_timeout_s)
        self._wait_until_ingest_knows_the_numbers(self.config.ready_timeout_s)
        self.say(f"web       {self.config.url('web')}  (the agent inbox; dev log-in on)")
        self._write_stack_file()

    def _write_stack_file(self) -> None:
        """Where this stack's broker and databases are, for the ops commands (``leadline events``, ``dlq``, …)."""
        (self.config.var_dir / "stack.json").write_text(
            json.dumps(
                {
                    "bootstrap_servers": self.bootstrap_servers,
                    "databases": {service: service_database(self.server_url, service) for service in SERVICES},
                    "urls": {name: self.config.url(name) for name in self.config.ports},
                },
                indent=2,
            )
        )

    def _start_infrastructure(self) -> None:
        if self.config.fresh and self.config.database_url:
            raise RuntimeError(
                "--fresh empties only the embedded database: unset DATABASE_URL, or empty yours yourself"
            )
        if self.config.kafka_bootstrap_servers:
            self.bootstrap_servers = self.config.kafka_bootstrap_servers
        else:
            self.kafka = EmbeddedKafka(
                self.config.kafka_port, log_path=self.config.var_dir / "logs" / "kafka.log"
            ).start()
            self.bootstrap_servers = self.kafka.bootstrap_servers
        if self.config.database_url:
            self.server_url = self.config.database_url
        else:
            self.postgres = EmbeddedPostgres(self.config.var_dir / "postgres")
            if self.config.fresh:
                self.postgres.discard()
                shutil.rmtree(self.config.var_dir / "media", ignore_errors=True)
                self.say(f"fresh     emptied {self.postgres.data_dir} and {self.config.var_dir / 'media'}")
            self.postgres.start()
            self.server_url = self.postgres.url
            if note := found_server_note(self.postgres):
                self.say(note)

    async def _prepare_databases_and_topics(self) -> None:
        for service in SERVICES:
            await ensure_database(self.server_url, f"leadline_{service}")
        await ensure_topics(KafkaSettings(kafka_bootstrap_servers=self.bootstrap_servers))  # how: from the environment

    def _base_env(self) -> dict[str, str]:
        env = dict(os.environ)
        for name, value in DEV_SECRETS.items():
            env.setdefault(name, value)
        env["KAFKA_BOOTSTRAP_SERVERS"] = self.bootstrap_servers
        env.setdefault("GRAPH_API_BASE_URL", self.config.url("fakegraph"))
        # spans are not printed unless asked (OTEL_CONSOLE_EXPORTER=true, or an OTLP endpoint): every span of every
        # request and record as JSON was ~100 MB of each service's log in a 9-minute bench; logs carry the trace ids
        return env

    def _service_env(self, service: str) -> dict[str, str]:
        env = self._base_env()
        env.update(
            HTTP_HOST=self.config.host,
            HTTP_PORT=str(self.config.ports[service]),
            DATABASE_URL=service_database(self.server_url, service),
        )
        env.setdefault("MEDIA_STORE_DIR", str(self.config.var_dir / "media"))
        if service == "ingest":
            env.setdefault("EVOLUTION_API_KEYS_DIR", str(self._evolution_api_keys_dir()))
        if service == "leads":
            env.setdefault("ROUTER_URL", self.config.url("router"))
        if service == "router":
            env.setdefault("ROUTER_CONFIG_FILE", str(DEV_ACCOUNTS_FILE))
            env.setdefault("INGEST_URL", self.config.url("ingest"))
        return env

    def _web_env(self) -> dict[str, str]:
        env = self._base_env()
        env.update(
            HTTP_HOST=self.config.host,
            HTTP_PORT=str(self.config.ports["web"]),
            WEB_DEV_LOGIN="true",
            ROUTER_URL=self.config.url("router"),
            LEADS_URL=self.config.url("leads"),
            HISTORY_URL=self.config.url("history"),
        )
        env.setdefault("WEB_DEV_ACCOUNTS_FILE", env.get("ROUTER_CONFIG_FILE") or str(DEV_ACCOUNTS_FILE))
        return env

    def _fakegraph_env(self) -> dict[str, str]:
        env = self._base_env()
        env.update(
            FAKE_GRAPH_HOST=self.config.host,
            FAKE_GRAPH_PORT=str(self.config.ports["fakegraph"]),
            FAKE_GRAPH_ACCESS_TOKEN=env["WHATSAPP_ACCESS_TOKEN"],
            FAKE_GRAPH_WEBHOOK_URL=f"{self.config.url('ingest')}/webhooks/whatsapp",
        )
        return env

    def _evolution_api_keys_dir(self) -> Path:
        """The dev stack's EVOLUTION_API_KEYS_DIR: the fake Evolution instance's key, as a mounted Secret would hold it."""
        keys = self.config.var_dir / "evolution-api-keys"
        keys.mkdir(parents=True, exist_ok=True)
        (keys / DEV_EVOLUTION["secret"]).write_text(DEV_EVOLUTION["key"])
        return keys

    def _fakeevolution_env(self) -> dict[str, str]:
        env = self._base_env()
        env.update(
            FAKE_EVOLUTION_HOST=self.config.host,
            FAKE_EVOLUTION_PORT=str(self.config.ports["fakeevolution"]),
            FAKE_EVOLUTION_INSTANCE=DEV_EVOLUTION["instance"],
            FAKE_EVOLUTION_NUMBER=DEV_EVOLUTION["number"],
            FAKE_EVOLUTION_API_KEY=DEV_EVOLUTION["key"],
            FAKE_EVOLUTION_WEBHOOK_URL=f"{self.config.url('ingest')}/webhooks/evolution/{DEV_EVOLUTION['number']}",
        )
        return env

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        log = open(self.config.var_dir / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child
        self.children[name] = subprocess.Popen(
            argv, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )

    def respawn(self, name: str) -> None:
        """Start one child again (after it died or was killed) and wait until it is ready."""
        envs = {"fakegraph": self._fakegraph_env, "fakeevolution": self._fakeevolution_env, "web": self._web_env}
        env = envs.get(name, lambda: self._service_env(name))()
        self._spawn(name, [sys.executable, "-m", MODULES.get(name, f"leadline.{name}")], env)
        self._wait_until_ready(only={name})

    def _wait_until_ready(self, timeout_s: float = 60.0, *, only: set[str] | None = None) -> None:
        probes = {service: f"{self.config.url(service)}/readyz" for service in SERVICES}
        probes["fakegraph"] = f"{self.config.url('fakegraph')}/_fake/healthz"
        probes["fakeevolution"] = f"{self.config.url('fakeevolution')}/_fake/healthz"
        probes["web"] = f"{self.config.url('web')}/readyz"
        probes = {name: url for name, url in probes.items() if only is None or name in only}
        deadline = time.monotonic() + timeout_s
        pending = dict(probes)
        while pending and time.monotonic() < deadline:
            for name, url in list(pending.items()):
                child = self.children[name]
                if child.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {child.returncode}; see {self.config.var_dir}/logs/{name}.log"
                    )
                try:
                    if fully_ready(httpx.get(url, timeout=1.0)):
                        del pending[name]
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        if pending:
            raise TimeoutError(
                f"not ready after {timeout_s}s: {', '.join(sorted(pending))} (logs in {self.config.var_dir}/logs)"
            )

    def _wait_until_ingest_knows_the_numbers(self, timeout_s: float) -> None:
        """Ingest learns the business numbers (an Evolution number's instance) from the router's integration topic, a
        group join after it starts; until then it refuses an Evolution webhook as an unknown instance (404, which
        Evolution does not retry). A dev stack says ready once ingest knows every number of the accounts file."""
        accounts_file = Path(self._service_env("router")["ROUTER_CONFIG_FILE"])
        wanted = {
            str(number)
            for account in (yaml.safe_load(accounts_file.read_text()) or {}).get("accounts", {}).values()
            for number in (account.get("numbers") or {})
        }

        async def known() -> set[str]:
            connection = await asyncpg.connect(**_asyncpg_connect_kwargs(service_database(self.server_url, "ingest")))
            try:
                return {row[0] for row in await connection.fetch("SELECT phone_number_id FROM business_numbers")}
            finally:
                await connection.close()

        deadline = time.monotonic() + timeout_s
        while missing := wanted - asyncio.run(known()):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"ingest has not learnt {', '.join(sorted(missing))} after {timeout_s}s "
                    f"(logs in {self.config.var_dir}/logs)"
                )
            time.sleep(0.2)

    def stop(self) -> None:
        (self.config.var_dir / "stack.json").unlink(missing_ok=True)
        for child in self.children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 15
        for child in self.children.values():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.children.clear()
        if self.kafka:
            self.kafka.stop()
        if self.postgres:
            self.postgres.stop()

    def pids(self) -> dict[str, int]:
        pids = {name: child.pid for name, child in self.children.items()}
        if self.kafka and self.kafka.process:
            pids["kafka"] = self.kafka.process.pid
        if self.postgres and self.postgres.pid:
            pids["postgres"] = self.postgres.pid
        return pids
