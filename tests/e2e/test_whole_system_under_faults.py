"""The whole system under faults: many customers and agents while services die, the broker stops answering,
database connections drop, Meta delivers twice and a poison event arrives — then every invariant is checked
by reading every projection and the topics.

``make test`` runs one round (about a minute of load); ``make soak`` repeats rounds for LEADLINE_SOAK_SECONDS.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer

from leadline.events import AgentRef, new_envelope
from leadline.events.router import ConversationClaimedV1
from leadline.events.topics import ROUTER_CONVERSATIONS, TOPICS
from leadline.platform.settings import ServiceSettings
from tests.conftest import REPO
from tests.kafka_helpers import read_topic

from .system_under_test import SystemUnderTest
from .workload import NEVER_SAVED, Workload

SERVICES = ("ingest", "router", "leads", "history")
# Half as long again as the services' session timeout (they run on `make run`'s defaults): the broker drops every
# member, so every consumer group of every service has to join again after the freeze.
SESSION_TIMEOUT_S = ServiceSettings.model_fields["kafka_session_timeout_ms"].default / 1000
FREEZE_S = float(os.environ.get("LEADLINE_FAULT_BROKER_FREEZE_S", 1.5 * SESSION_TIMEOUT_S))
NEW_CUSTOMER_EVERY_S = 1.0
SOAK_S = float(os.environ.get("LEADLINE_SOAK_SECONDS", 0))
# customer messages a second on top of the stories, for as long as the rounds last (`make soak`: 300; `make test`: none)
LOAD_RATE = float(os.environ.get("LEADLINE_FAULT_LOAD_RATE", 0))


@dataclass
class FaultReport:
    customers: int = 0
    customer_messages: int = 0
    webhook_posts: int = 0
    duplicate_deliveries: int = 0
    agent_replies: int = 0
    transfers: int = 0
    refused_claims: int = 0
    finished: int = 0
    kills: int = 0
    broker_freezes: int = 0
    webhooks_answered_during_freeze: int = 0
    database_connections_dropped: int = 0
    poison_events: int = 0
    lost: int = 0
    duplicated: int = 0
    load_rate: float = LOAD_RATE
    seconds: float = 0.0


@pytest.fixture(scope="module")
async def system(tmp_path_factory):
    running = SystemUnderTest(tmp_path_factory.mktemp("whole-system") / "var")
    await running.start()
    yield running
    await running.stop()


async def publish_poison(system: SystemUnderTest) -> uuid.UUID:
    """A valid envelope whose payload no consumer can handle: a claim whose conversation id is not a UUID."""
    claim = ConversationClaimedV1(
        conversation_id=uuid.uuid4(), agent=AgentRef(id="ana", name="Ana Souza"), team_id="vendas"
    )
    envelope = new_envelope(
        claim, account_id="acme-motors", stream_id=str(claim.conversation_id), sequence=1, occurred_at=datetime.now(UTC)
    )
    poisoned = envelope.model_copy(update={"payload": {**envelope.payload, "conversation_id": "not-a-conversation"}})
    producer = AIOKafkaProducer(bootstrap_servers=system.bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(ROUTER_CONVERSATIONS, poisoned.to_bytes(), key=poisoned.key)
    finally:
        await producer.stop()
    return poisoned.event_id


async def inject_faults(system: SystemUnderTest, workload: Workload, report: FaultReport) -> uuid.UUID:
    await asyncio.sleep(3)
    for service in SERVICES:  # kill -9 each in turn, at a random moment of whatever it was doing, and start it again
        await asyncio.sleep(workload.random.uniform(0.5, 3.0))
        await system.kill9(service)
        report.kills += 1
        await asyncio.sleep(workload.random.uniform(0.2, 1.5))
        await system.respawn(service)
    for service in ("router", "leads"):
        report.database_connections_dropped += await system.drop_database_connections(service)
    poison = await publish_poison(system)
    report.poison_events += 1
    await asyncio.sleep(2)
    workload.outage = True  # the broker answers nothing for FREEZE_S; customers keep writing meanwhile
    await system.freeze_broker(FREEZE_S)
    workload.outage = False
    report.broker_freezes += 1
    return poison


async def one_round(system: SystemUnderTest, workload: Workload, report: FaultReport) -> uuid.UUID:
    faults = asyncio.create_task(inject_faults(system, workload, report))
    stories: list[asyncio.Task] = []
    slots = asyncio.Semaphore(12)

    async def story(n: int) -> None:
        wa_id = await workload.customer_arrives()  # customers do not wait for free agents
        async with slots:
            await workload.agents_take_it(n, wa_id)

    n = 0
    while not faults.done() or n < 20:
        stories.append(asyncio.create_task(story(n)))
        n += 1
        await asyncio.sleep(NEW_CUSTOMER_EVERY_S)
    poison = await faults
    await asyncio.gather(*stories)
    report.customers += n
    return poison


async def test_every_message_arrives_once_and_every_invariant_holds_through_the_faults(system):
    started = time.monotonic()
    report = FaultReport()
    workload = Workload(system, seed=20261126)
    stop_chatter = asyncio.Event()
    chatter = asyncio.create_task(workload.chatter(LOAD_RATE, stop_chatter)) if LOAD_RATE else None
    poisons = [await one_round(system, workload, report)]
    while time.monotonic() - started < SOAK_S:
        poisons.append(await one_round(system, workload, report))
    stop_chatter.set()
    if chatter is not None:
        await chatter
    await workload.close()
    ledger = workload.ledger

    finished = sorted(ledger.finished)
    await wait_until_settled(system, workload)

    # 1. every customer message exactly once in its conversation
    sent = [m.wamid for m in ledger.customer_messages]
    counts = dict(
        await system.rows(
            "router", "SELECT wamid, count(*) FROM message_view WHERE wamid = ANY(:w) GROUP BY wamid", w=sent
        )
    )
    lost = [w for w in sent if w not in counts]
    duplicated = [w for w, c in counts.items() if c > 1]
    assert not lost and not duplicated, (lost[:5], duplicated[:5])

    # ... and agents' replies exactly once each
    replies = dict(
        await system.rows(
            "router",
            "SELECT conversation_id::text, count(*) FROM message_view WHERE origin = 'agent' "
            "AND conversation_id::text = ANY(:c) GROUP BY 1",
            c=list(ledger.replies),
        )
    )
    assert replies == ledger.replies

    # 2. after finish, in the lead's timeline exactly once, minus the kinds never saved
    in_finished = await system.rows(
        "router",
        "SELECT wamid FROM message_view WHERE conversation_id::text = ANY(:c) AND origin = 'customer'",
        c=finished,
    )
    finished_wamids = {row[0] for row in in_finished}
    kinds = {m.wamid: m.kind for m in ledger.customer_messages}
    timeline = dict(
        await system.rows(
            "history",
            "SELECT wamid, count(*) FROM timeline_entries WHERE wamid = ANY(:w) AND kind = 'message' GROUP BY wamid",
            w=list(finished_wamids),
        )
    )
    expected = {w for w in finished_wamids if kinds[w] not in NEVER_SAVED}
    assert set(timeline) == expected, (sorted(expected - set(timeline))[:5], sorted(set(timeline) - expected)[:5])
    assert all(count == 1 for count in timeline.values())

    # 3. one owner per conversation, never a claim without a lead, one lead per conversation
    assert (
        await system.rows(
            "router",
            "SELECT stream_id FROM events WHERE type = 'router.conversation.claimed' "
            "GROUP BY stream_id HAVING count(*) > 1",
        )
        == []
    )
    assert (
        await system.rows(
            "router", "SELECT conversation_id FROM conversation_view WHERE owner_id IS NOT NULL AND lead_id IS NULL"
        )
        == []
    )
    leads = dict(
        await system.rows(
            "leads",
            "SELECT conversation_id::text, lead_id::text FROM leads WHERE conversation_id::text = ANY(:c)",
            c=list(ledger.leads),
        )
    )
    assert leads == ledger.leads
    assert await system.rows("leads", "SELECT conversation_id FROM leads GROUP BY 1 HAVING count(*) > 1") == []

    # 4. an open conversation's status follows its last message's direction
    open_rows = await system.rows(
        "router",
        "SELECT conversation_id::text, status, last_direction FROM conversation_view "
        "WHERE conversation_id::text = ANY(:c) AND status <> 'finished'",
        c=list(ledger.leads),
    )
    assert open_rows, "some conversations are left open on purpose"
    for conversation_id, status, direction in open_rows:
        assert (direction, status) in {("inbound", "unanswered"), ("outbound", "no_reply")}, (
            conversation_id,
            status,
            direction,
        )
    assert {row[0] for row in open_rows}.isdisjoint(ledger.finished)

    # 5. nothing dead-lettered but the injected poison; each consumer of its topic went on past it
    letters = []
    for spec in TOPICS.values():
        if spec.dead_letter_of:
            letters += await read_topic(system.bootstrap_servers, spec.name, expected=0, timeout_s=1, settle_s=0.5)
    poisoned_ids = {str(p) for p in poisons}
    assert letters and {json.loads(letter.value)["event_id"] for letter in letters} == poisoned_ids, [
        (letter.topic, dict(letter.headers).get("dlq.error")) for letter in letters
    ]
    assert {dict(letter.headers)["dlq.consumer"].decode().split("-")[0] for letter in letters} >= {"leads", "history"}

    report.customer_messages = len(ledger.customer_messages)
    report.webhook_posts, report.duplicate_deliveries = ledger.webhook_posts, ledger.duplicate_deliveries
    report.agent_replies, report.transfers = sum(ledger.replies.values()), ledger.transfers
    report.refused_claims, report.finished = ledger.refused_claims, len(ledger.finished)
    report.lost, report.duplicated = len(lost), len(duplicated)
    report.webhooks_answered_during_freeze = ledger.webhooks_during_outage - ledger.webhook_failures_during_outage
    report.seconds = round(time.monotonic() - started, 1)
    out = REPO / "var" / "faults"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"report-{int(time.time())}.json").write_text(json.dumps(asdict(report), indent=2))
    print("\nwhole-system fault report:", json.dumps(asdict(report)))
    assert ledger.webhooks_during_outage > 0, "customers wrote while the broker was frozen"
    assert ledger.webhook_failures_during_outage == 0, "ingest answers 200 while the broker is down"


async def wait_until_settled(system: SystemUnderTest, workload: Workload, timeout_s: float = 180.0) -> None:
    """Until the projections hold every message and every finish: consumers catch up after the faults."""
    ledger = workload.ledger
    sent = [m.wamid for m in ledger.customer_messages]
    deadline = time.monotonic() + timeout_s
    while True:
        in_router = (
            await system.rows("router", "SELECT count(DISTINCT wamid) FROM message_view WHERE wamid = ANY(:w)", w=sent)
        )[0][0]
        finished = (
            await system.rows(
                "history",
                "SELECT count(DISTINCT conversation_id) FROM timeline_entries "
                "WHERE kind = 'conversation_finished' AND conversation_id::text = ANY(:c)",
                c=sorted(ledger.finished),
            )
        )[0][0]
        if in_router == len(sent) and finished == len(ledger.finished):
            return
        if time.monotonic() > deadline:
            return  # the assertions that follow say what is missing
        await asyncio.sleep(1)


async def test_with_the_broker_stopped_ingest_answers_200_stores_every_delivery_and_publishes_them_after_restart(
    system,
):
    workload = Workload(system, seed=7, duplicate_rate=0.0)
    await system.stop_broker()
    try:
        started = time.monotonic()
        sent = [await workload.customer_writes(f"55119{n:08d}") for n in range(10_000_000, 10_000_010)]
        answered_in = time.monotonic() - started
    finally:
        await system.start_broker()
    wamids = [m.wamid for m in sent]
    stored = await system.rows("ingest", "SELECT wamid FROM inbound_messages WHERE wamid = ANY(:w)", w=wamids)
    assert len(stored) == 10, "every delivery stored while the broker was down"
    assert answered_in < 10, f"ten webhooks took {answered_in:.1f}s with the broker down"
    deadline = time.monotonic() + 60
    while await system.rows("ingest", "SELECT 1 FROM outbox WHERE published_at IS NULL"):
        assert time.monotonic() < deadline, "the outbox never drained after the broker came back"
        await asyncio.sleep(0.5)
    records = await read_topic(
        system.bootstrap_servers,
        "leadline.whatsapp.inbound",
        expected=10,
        timeout_s=30,
        where=lambda r: any(w.encode() in r.value for w in wamids),
    )
    assert len({w for w in wamids for r in records if w.encode() in r.value}) == 10
    await workload.close()
