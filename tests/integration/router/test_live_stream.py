"""The live stream (``GET /stream``) on a second router replica, served by a real uvicorn, reading the real broker.

Conversations are written through the session's router (another replica on the same database); the replica
here only serves streams. So every test also shows that an agent connected to one replica hears about what
another replica did: the feed reads the whole topic, not a consumer group's share of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
import uvicorn

from leadline.events import LEADS_LEADS, LeadTransferredV1, new_envelope
from leadline.events.common import AgentRef
from leadline.phones import normalize_phone
from leadline.platform.access import Access
from leadline.platform.auth import verifier_from_settings
from leadline.platform.runtime import ServiceRuntime, create_service_app
from leadline.platform.settings import KafkaSettings
from leadline.platform.tokens import mint_token
from leadline.router.adapters.account_cache import AccountCache
from leadline.router.adapters.agent_rights import DirectoryRights
from leadline.router.adapters.claim_gate import SqlClaimGate
from leadline.router.adapters.live_feed import DROPPED, LiveFeed
from leadline.router.adapters.unit_of_work import SqlUnitOfWork
from leadline.router.entrypoints.agent_api import agent_api, install_router_errors
from leadline.router.entrypoints.live import live_api
from tests.integration.router.conftest import JWT_SECRET

WITHIN_S = 15.0
SETTLE_S = 0.5  # a leak would be pushed in the same pass as the events others got; local delivery takes ms


# ---- a live replica and a stream reader (also used by the authorization matrix) -------------------------


@dataclass
class LiveReplica:
    base_url: str
    feed: LiveFeed


@contextlib.asynccontextmanager
async def live_replica(router) -> AsyncIterator[LiveReplica]:
    """A second router replica on the session's database and broker, wired as ``bootstrap.build()`` wires the stream."""
    settings = router.app.state.runtime.settings
    runtime = ServiceRuntime(settings)
    rights = DirectoryRights(runtime.sessions)
    access = Access(verifier_from_settings(settings), rights)
    feed = LiveFeed(runtime.sessions, rights, kafka=settings)
    runtime.run_in_background("live-feed", feed.run)
    app = create_service_app(
        runtime,
        title="leadline router (live replica)",
        routers=[
            agent_api(
                uow=lambda: SqlUnitOfWork(runtime.sessions, clock=router.clock),
                sessions=runtime.sessions,
                access=access,
                gate=SqlClaimGate(runtime.engine, runtime.sessions, AccountCache()),
                normalize=normalize_phone,
                clock=router.clock,
            ),
            live_api(feed=feed, access=access),
        ],
    )
    install_router_errors(app)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on", timeout_graceful_shutdown=1)
    )
    serving = asyncio.create_task(server.serve())
    try:
        await until(lambda: server.started, "uvicorn started")
        await asyncio.wait_for(feed.live.wait(), WITHIN_S)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield LiveReplica(f"http://127.0.0.1:{port}", feed)
    finally:
        server.should_exit = True
        await serving


async def until(condition: Callable[[], object], what: str, *, within_s: float = WITHIN_S):
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if value := condition():
            return value
        await asyncio.sleep(0.01)
    raise AssertionError(f"not within {within_s}s: {what}")


def token_for(dealer, agent_id: str, **overrides) -> str:
    agent = dealer.agents[agent_id]
    claims = {
        "secret": JWT_SECRET,
        "agent_id": agent.id,
        "name": agent.name,
        "role": str(agent.role),
        "account_id": dealer.account_id,
        "teams": sorted(agent.team_ids),
    } | overrides
    return mint_token(**claims)


@dataclass
class LiveStream:
    """One agent's open stream, read in the background: its events in order, and every line as received."""

    agent_id: str
    events: list[tuple[str, dict]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    ended: bool = False
    by_conversation: dict[str, list[tuple[str, dict]]] = field(
        default_factory=dict
    )  # the events, by what they are about

    def about(self, conversation_id: str) -> list[tuple[str, dict]]:
        return list(self.by_conversation.get(conversation_id, ()))

    def mentions(self, conversation_id: str) -> bool:
        return any(conversation_id in line for line in self.lines)

    async def next_about(self, conversation_id: str, name: str, where: Callable[[dict], bool] = lambda _: True) -> dict:
        return await until(
            lambda: next((d for n, d in reversed(self.about(conversation_id)) if n == name and where(d)), None),
            f"{self.agent_id} receives {name} about {conversation_id}",
        )

    async def _read(self, response: httpx.Response) -> None:
        name, data = None, []
        async for line in response.aiter_lines():
            self.lines.append(line)
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
            elif line.startswith("event:"):
                name = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                data.append(line.removeprefix("data:").removeprefix(" "))
            elif line == "" and data:
                event = (name or "message", json.loads("\n".join(data)))
                self.events.append(event)
                self.by_conversation.setdefault(event[1].get("conversation_id"), []).append(event)
                name, data = None, []
        self.ended = True


@contextlib.asynccontextmanager
async def streaming(
    replica: LiveReplica, dealer, agent_id: str, *, via_query: bool = False
) -> AsyncIterator[LiveStream]:
    """Open ``GET /stream`` as ``agent_id`` and return once the replica has subscribed it."""
    token = token_for(dealer, agent_id)
    options = {"params": {"access_token": token}} if via_query else {"headers": {"Authorization": f"Bearer {token}"}}
    stream = LiveStream(agent_id)
    async with httpx.AsyncClient(base_url=replica.base_url, timeout=httpx.Timeout(WITHIN_S, read=None)) as client:
        async with client.stream("GET", "/stream", **options) as response:
            assert response.status_code == 200, await response.aread()
            assert response.headers["content-type"].startswith("text/event-stream")
            reader = asyncio.create_task(stream._read(response))
            try:
                await until(lambda: "connected" in stream.comments or reader.done(), f"{agent_id} subscribed")
                yield stream
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                    await reader


async def transfer_lead(dealer, lead_id: str, *, frm: str, to: str, to_team: str) -> None:
    """What the leads service tells the router when a lead moves, through the router's own handler."""
    a, b = dealer.agents[frm], dealer.agents[to]
    payload = LeadTransferredV1(
        lead_id=uuid.UUID(lead_id),
        from_agent=AgentRef(id=a.id, name=a.name),
        from_team_id=min(a.team_ids),
        to_agent=AgentRef(id=b.id, name=b.name),
        to_team_id=to_team,
    )
    envelope = new_envelope(
        payload, account_id=dealer.account_id, stream_id=lead_id, sequence=2, occurred_at=dealer.router.clock()
    )
    await dealer.router.deliver(LEADS_LEADS, envelope)


# ---- the tests -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def replica(router):
    async with live_replica(router) as running:
        yield running


async def test_every_agent_of_the_linked_teams_sees_a_new_conversation_arrive_and_nobody_else_hears_of_it(
    replica, router, dealer
):
    other_dealer = await router.dealer()
    async with (
        streaming(replica, dealer, "ana") as ana,
        streaming(replica, dealer, "bruno") as bruno,
        streaming(replica, dealer, "diego") as diego,
        streaming(replica, dealer, "elisa") as elisa,
        streaming(replica, other_dealer, "diego") as other_admin,
    ):
        conversation_id = await dealer.open_conversation(text="Ainda tem o Onix?")
        for stream in (ana, bruno, diego):
            arrived = await stream.next_about(conversation_id, "conversation", lambda d: d["last_message_preview"])
            assert arrived["status"] == "new" and arrived["owner"] is None
            assert arrived["last_message_preview"] == "Ainda tem o Onix?" and arrived["last_activity_at"]
            assert arrived["type"].startswith("router.")
        await asyncio.sleep(SETTLE_S)
        assert elisa.events == [] and not elisa.mentions(conversation_id), "oficina is not linked to the number"
        assert other_admin.events == [], "an admin sees everything in their own account only"


async def test_when_one_agent_claims_it_the_others_see_it_removed_and_the_owner_sees_the_update(replica, dealer):
    async with (
        streaming(replica, dealer, "ana") as ana,
        streaming(replica, dealer, "bruno") as bruno,
        streaming(replica, dealer, "diego") as diego,
        streaming(replica, dealer, "elisa") as elisa,
    ):
        conversation_id = await dealer.open_conversation()
        await bruno.next_about(conversation_id, "conversation")
        async with dealer.client("ana") as client:
            assert (await client.post(f"/conversations/{conversation_id}/claim", json={})).status_code == 200
        owned = await ana.next_about(conversation_id, "conversation", lambda d: d["owner"] is not None)
        assert owned["owner"] == {"id": "ana", "name": "Ana Souza"} and owned["status"] == "unanswered"
        assert await bruno.next_about(conversation_id, "removed") == {"conversation_id": conversation_id}
        assert (await diego.next_about(conversation_id, "conversation", lambda d: d["owner"] is not None))[
            "owner_id"
        ] == "ana"
        async with dealer.client("ana") as client:  # what follows reaches the owner only
            await client.post(
                f"/conversations/{conversation_id}/messages",
                json={"idempotency_key": "r1", "content": {"kind": "text", "body": "Tem sim!"}},
            )
        await ana.next_about(conversation_id, "conversation", lambda d: d["status"] == "no_reply")
        await diego.next_about(conversation_id, "conversation", lambda d: d["status"] == "no_reply")
        await asyncio.sleep(SETTLE_S)
        assert [name for name, _ in bruno.about(conversation_id)][-1] == "removed", "nothing after the removal"
        assert not elisa.mentions(conversation_id)


async def test_an_agent_who_loaded_the_pool_before_connecting_is_told_when_someone_else_claims_it(replica, dealer):
    async with streaming(replica, dealer, "diego") as diego:
        conversation_id = await dealer.open_conversation()
        await diego.next_about(
            conversation_id, "conversation"
        )  # the feed is past the opening: carla's stream won't get it
        async with dealer.client("carla") as client:  # the pool, as the inbox page loads it
            listed = (await client.get("/conversations", params={"status": "new"})).json()["items"]
            assert conversation_id in [c["conversation_id"] for c in listed]
        async with streaming(replica, dealer, "carla") as carla, streaming(replica, dealer, "elisa") as elisa:
            async with dealer.client("ana") as client:
                assert (await client.post(f"/conversations/{conversation_id}/claim", json={})).status_code == 200
            assert await carla.next_about(conversation_id, "removed") == {"conversation_id": conversation_id}
            await diego.next_about(conversation_id, "conversation", lambda d: d["owner_id"] == "ana")
            await asyncio.sleep(SETTLE_S)
            assert carla.about(conversation_id) == [("removed", {"conversation_id": conversation_id})]
            assert not elisa.mentions(conversation_id), (
                "who never could see it learns nothing, not even that it was claimed"
            )


@pytest.mark.parametrize("process_type, attendant_keeps_it", [(1, False), (2, True)])
async def test_after_a_lead_transfer_the_attendant_keeps_the_conversation_only_in_process_two(
    replica, router, process_type, attendant_keeps_it
):
    dealer = await router.dealer(process_type=process_type)
    async with streaming(replica, dealer, "diego") as diego:
        conversation_id, lead_id = await dealer.open_conversation(), str(uuid.uuid4())
        async with dealer.client("carla") as client:
            assert (
                await client.post(f"/conversations/{conversation_id}/claim", json={"lead_id": lead_id})
            ).status_code == 200
        await diego.next_about(conversation_id, "conversation", lambda d: d["owner_id"] == "carla")
        # carla connects with the conversation already on her screen (loaded over HTTP), then the lead moves to ana
        async with streaming(replica, dealer, "carla") as carla, streaming(replica, dealer, "ana") as ana:
            await transfer_lead(dealer, lead_id, frm="carla", to="ana", to_team="vendas")
            moved = await ana.next_about(conversation_id, "conversation", lambda d: d["owner_id"] == "ana")
            assert (
                moved["owner"] == {"id": "ana", "name": "Ana Souza"}
                and moved["type"] == "router.conversation.transferred"
            )
            if attendant_keeps_it:
                seen = await carla.next_about(conversation_id, "conversation", lambda d: d["owner_id"] == "ana")
                assert seen["collaborator_ids"] == ["carla"]
            else:
                assert await carla.next_about(conversation_id, "removed") == {"conversation_id": conversation_id}


async def test_a_browser_event_source_authenticates_with_the_token_in_the_query(replica, dealer):
    async with streaming(replica, dealer, "bruno", via_query=True) as bruno:
        conversation_id = await dealer.open_conversation()
        assert (await bruno.next_about(conversation_id, "conversation"))["conversation_id"] == conversation_id


async def test_a_missing_or_bad_token_is_refused_with_401_before_any_stream_opens(replica, dealer):
    forged = mint_token(
        secret="not-the-router-secret-not-the-router-secret",
        agent_id="ana",
        name="Ana",
        role="admin",
        account_id=dealer.account_id,
        teams=["vendas"],
    )
    expired = token_for(dealer, "ana", ttl=timedelta(seconds=-1))
    attempts = {
        "no token": {},
        "not a bearer header": {"headers": {"Authorization": f"Basic {token_for(dealer, 'ana')}"}},
        "garbage header": {"headers": {"Authorization": "Bearer not-a-jwt"}},
        "forged header": {"headers": {"Authorization": f"Bearer {forged}"}},
        "expired header": {"headers": {"Authorization": f"Bearer {expired}"}},
        "garbage query": {"params": {"access_token": "not-a-jwt"}},
        "forged query": {"params": {"access_token": forged}},
        "empty query": {"params": {"access_token": ""}},
    }
    async with httpx.AsyncClient(base_url=replica.base_url, timeout=WITHIN_S) as client:
        for attempt, options in attempts.items():
            refused = await client.get("/stream", **options)
            assert refused.status_code == 401, attempt
            assert refused.headers["content-type"] == "application/json", attempt
            assert refused.json()["error"]["code"] == "unauthenticated", attempt


async def test_a_closed_stream_leaves_no_subscriber_behind(replica, dealer):
    before = replica.feed.connected
    async with streaming(replica, dealer, "ana"), streaming(replica, dealer, "diego"):
        assert replica.feed.connected == before + 2
    await until(lambda: replica.feed.connected == before, "the server noticed both disconnects")


async def test_a_client_too_slow_to_keep_up_is_dropped_with_a_final_event_instead_of_growing_memory(router, dealer):
    feed = LiveFeed(router.sessions, kafka=KafkaSettings(kafka_bootstrap_servers="unused:9092"), max_queued=3)
    slow = feed.subscribe(dealer.account_id, dealer.agents["diego"])
    keeping_up = feed.subscribe(dealer.account_id, dealer.agents["ana"])
    opened = []
    for _ in range(5):
        published = await dealer.customer_writes(f"55119{uuid.uuid4().int % 90_000_000 + 10_000_000}")
        opened.append(published[0])
    for envelope in opened:
        await feed.fan_out(envelope)
        while not keeping_up.queue.empty():  # ana reads as fast as events come
            keeping_up.queue.get_nowait()
    assert slow.queue.qsize() == 1, "what was queued is freed"
    name, data = slow.queue.get_nowait()
    assert name == DROPPED and "reload" in data["reason"]
    assert slow.dropped and feed.connected == 1, "the slow one is gone, the other still connected"


async def test_a_client_that_connected_before_the_feed_was_reading_is_told_to_reload_once_it_is(router, dealer):
    feed = LiveFeed(router.sessions, kafka=router.app.state.runtime.settings)
    early = feed.subscribe(dealer.account_id, dealer.agents["ana"])
    reading = asyncio.create_task(feed.run())
    try:
        await asyncio.wait_for(feed.live.wait(), WITHIN_S)
        on_time = feed.subscribe(dealer.account_id, dealer.agents["bruno"])
        name, data = early.queue.get_nowait()
        assert name == DROPPED and "reload" in data["reason"], "it may have missed changes before the feed started"
        assert not on_time.dropped and feed.connected == 1
    finally:
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading
    assert on_time.dropped and on_time.queue.get_nowait()[0] == DROPPED, "a feed that stops tells who is left to reload"
