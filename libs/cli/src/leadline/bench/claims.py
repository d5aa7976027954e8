"""The CPU of a claim, in process: 100 agents claim each conversation at once through the router's whole HTTP app.

Every claim goes the way a real one does — the shared middleware, the token, the access check, the session, the
refusal or the winner's transaction, the response — on the embedded PostgreSQL and broker, with the live feed
following the directory (as in production, where the agents' rights are kept in memory). It reports the process CPU
time per claim (``time.process_time``: the machine may be busy with other work; CPU is what a claim costs), and the
in-process latencies, where the 100 contenders queue on this one event loop exactly as on one router replica.

``python -m leadline.bench claims``; a profile: ``py-spy record --nonblocking --format raw -o claims.txt --
python -m leadline.bench claims``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from leadline.events import WHATSAPP_INBOUND, MessageReceivedV2, new_envelope
from leadline.events.common import WhatsAppUser
from leadline.events.content import TextContent
from leadline.phones import normalize_phone
from leadline.platform.tokens import mint_token
from leadline.router.adapters.account_directory import SqlConfigurationUnitOfWork
from leadline.router.bootstrap import build
from leadline.router.domain.agents import AccountSettings, Agent, BusinessNumber, Role
from leadline.router.entrypoints.settings import RouterSettings
from leadline.router.entrypoints.subscribers import router_consumer
from leadline.router.service.configuration import AccountConfiguration, AgentRecord, Team, apply_configuration

from .infra import BenchInfra
from .load import percentiles
from .report import Figure

CONTENDERS = 100
ACCOUNT = "bench-claims"
NUMBER = "106540352200001"
SECRET = "bench-claims-secret-bench-claims-secret"


@dataclass(frozen=True)
class ClaimRun:
    claims: int
    cpu_ms_per_claim: float
    latencies_ms: list[float]


async def _asgi_post(app, path: str, token: bytes) -> int:
    """One request straight into the ASGI app (no HTTP client or server: only the app's own CPU is measured)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"router"),
            (b"authorization", b"Bearer " + token),
            (b"content-type", b"application/json"),
            (b"content-length", b"2"),
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("router", 80),
    }
    messages = [{"type": "http.request", "body": b"{}", "more_body": False}]
    status = 0

    async def receive() -> dict:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _account(app, clock) -> list[bytes]:
    agents = [Agent(f"seller{n}", f"Vendedor {n}", Role.SELLER, frozenset({"vendas"})) for n in range(CONTENDERS)]
    await apply_configuration(
        AccountConfiguration(
            account_id=ACCOUNT,
            settings=AccountSettings(process_type=1, lead_unification=True, pool_wait_alert_seconds=300),
            teams=(Team("vendas", "Vendas"),),
            numbers=(BusinessNumber(NUMBER, "551140000001", "Bench Motors", frozenset({"vendas"})),),
            agents=tuple(AgentRecord(agent) for agent in agents),
        ),
        uow=lambda: SqlConfigurationUnitOfWork(app.state.runtime.sessions),
        clock=clock,
    )
    return [
        mint_token(
            secret=SECRET, agent_id=a.id, name=a.name, role="seller", account_id=ACCOUNT, teams=["vendas"]
        ).encode()
        for a in agents
    ]


async def _open(app, clock, n: int) -> str:
    consumer = router_consumer(
        app.state.runtime.sessions, unit_of_work=app.state.uow, clock=clock, normalize=normalize_phone
    )
    payload = MessageReceivedV2(
        phone_number_id=NUMBER,
        customer=WhatsAppUser(wa_id=f"5511970{n:06d}"),
        wamid=f"wamid.{uuid.uuid4().hex}",
        display_phone_number="551140000001",
        customer_profile_name="Cliente",
        customer_display_name="Cliente",
        sent_at=clock(),
        content=TextContent(body="Olá, tem o Onix?"),
    )
    envelope = new_envelope(
        payload, account_id=ACCOUNT, stream_id=payload.stream_id(ACCOUNT), sequence=1, occurred_at=clock()
    )
    return (await consumer.decide_alone(WHATSAPP_INBOUND, envelope))[0].stream_id


async def _claims(infra: BenchInfra, conversations: int) -> ClaimRun:
    database_url = await infra.database_for("router")
    clock = lambda: datetime.now(UTC)  # noqa: E731
    app = build(
        RouterSettings(
            database_url=database_url,
            kafka_bootstrap_servers=infra.bootstrap_servers,
            jwt_secret=SECRET,
            pool_wait_check_interval_s=3600,
            kafka_group_prefix=f"bench{uuid.uuid4().hex[:6]}-",
        ),
        clock=clock,
    )
    async with app.router.lifespan_context(app):
        tokens = await _account(app, clock)
        ids = [await _open(app, clock, n) for n in range(conversations + 1)]
        for _ in range(200):  # the live feed follows the directory: rights come from memory, as in production
            if app.state.access.directory.following:
                break
            await asyncio.sleep(0.1)
        latencies: list[float] = []
        winners = 0

        async def claim(conversation_id: str, token: bytes) -> None:
            nonlocal winners
            started = time.perf_counter()
            status = await _asgi_post(app, f"/conversations/{conversation_id}/claim", token)
            latencies.append((time.perf_counter() - started) * 1000)
            if status not in (200, 409):
                raise AssertionError(f"a claim answered {status}")
            winners += status == 200

        await asyncio.gather(*(claim(ids[0], token) for token in tokens))  # warm-up: caches, pool, code paths
        latencies.clear()
        winners = 0
        cpu = time.process_time()
        for conversation_id in ids[1:]:
            await asyncio.gather(*(claim(conversation_id, token) for token in tokens))
        cpu = time.process_time() - cpu
    if winners != conversations:
        raise AssertionError(f"claim-once broken in the benchmark: {winners} winners for {conversations} conversations")
    return ClaimRun(len(latencies), cpu * 1000 / len(latencies), latencies)


def run(infra: BenchInfra, *, conversations: int = 20) -> list[Figure]:
    result = asyncio.run(_claims(infra, conversations))
    p50, p99 = percentiles(result.latencies_ms)
    return [
        Figure(
            f"claim CPU in process ({result.claims} claims, {CONTENDERS} contenders)", result.cpu_ms_per_claim, "ms"
        ),
        Figure("claim latency in process p50", p50, "ms"),
        Figure("claim latency in process p99", p99, "ms", target="≤ 25 ms", met=p99 <= 25),
    ]
