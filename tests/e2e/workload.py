"""Customers and agents driving the running system over HTTP, the way WhatsApp and salespeople do.

Customers' messages are signed webhook deliveries posted to ingest as Meta posts them: retried until answered
200, and ``duplicate_rate`` of them delivered a second time later (so out of order with what follows). Agents
race to add the lead, reply, sometimes transfer the lead, and finish. Everything sent is remembered, so the
invariants can be checked against it afterwards.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field

import httpx

from leadline.cli.stack import DEV_SECRETS
from leadline.fakegraph.inbound_messages import location_message, sticker_message, text_message
from leadline.fakegraph.webhooks import WebhookBuilder, signed_request
from leadline.platform.serve import CLIENT_KEEP_ALIVE_S

from .system_under_test import SystemUnderTest

NEVER_SAVED = {"sticker", "location"}
TRANSIENT = (httpx.TransportError,)
WEBHOOKS_IN_FLIGHT = 64
"""At most this many webhooks posted at once, fewer than httpx's 100 connections: the agents' calls keep theirs."""


@dataclass
class Sent:
    wamid: str
    kind: str
    wa_id: str


@dataclass
class Ledger:
    """What the workload did, to check the system against."""

    customer_messages: list[Sent] = field(default_factory=list)
    replies: dict[str, int] = field(default_factory=dict)  # conversation -> replies accepted
    leads: dict[str, str] = field(default_factory=dict)  # conversation -> lead
    finished: set[str] = field(default_factory=set)
    transfers: int = 0
    webhook_posts: int = 0
    duplicate_deliveries: int = 0
    refused_claims: int = 0
    webhooks_during_outage: int = 0
    webhook_failures_during_outage: int = 0


async def until_done(call, *, accept: set[int], deadline_s: float = 120.0) -> httpx.Response:
    """Call until it gets an answer in ``accept``; a service being killed or restarted is retried, not failed."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            response = await call()
            if response.status_code in accept:
                return response
            if response.status_code < 500 and response.status_code not in (404, 409, 429):
                raise AssertionError(f"unexpected {response.status_code}: {response.text[:300]}")
            last = f"{response.status_code} {response.text[:200]}"
        except TRANSIENT as error:
            last = repr(error)
        if time.monotonic() > deadline:
            raise AssertionError(f"no answer in {sorted(accept)} after {deadline_s}s; last: {last}")
        await asyncio.sleep(0.3)


class Workload:
    def __init__(self, system: SystemUnderTest, *, seed: int, duplicate_rate: float = 0.3) -> None:
        self.system = system
        self.random = random.Random(seed)
        self.duplicate_rate = duplicate_rate
        self.ledger = Ledger()
        self.http = httpx.AsyncClient(timeout=15, limits=httpx.Limits(keepalive_expiry=CLIENT_KEEP_ALIVE_S))
        # webhooks wait here, not in httpx's connection pool: its queue costs CPU per waiting request on every
        # change (an open loop of customers kept a core busy in httpcore's assignment with a few hundred queued)
        self.webhook_slots = asyncio.Semaphore(WEBHOOKS_IN_FLIGHT)
        self.builder = WebhookBuilder()
        self.late_deliveries: list[asyncio.Task] = []
        self.outage = False

    async def close(self) -> None:
        await asyncio.gather(*self.late_deliveries)
        await self.http.aclose()

    def auth(self, agent: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.system.token(agent)}"}

    # --- WhatsApp's side ---------------------------------------------------------------------------------
    async def deliver(self, payload: dict) -> None:
        body, headers = signed_request(payload, DEV_SECRETS["WHATSAPP_APP_SECRET"])
        url = f"{self.system.url('ingest')}/webhooks/whatsapp"

        async def post() -> httpx.Response:
            async with self.webhook_slots:
                return await self.http.post(url, content=body, headers=headers)

        if self.outage:  # with the broker down, ingest must answer 200 at the first try (it stores, then relays)
            try:
                first = await post()
                answered = first.status_code == 200
            except TRANSIENT:
                answered = False
            self.ledger.webhooks_during_outage += 1
            self.ledger.webhook_failures_during_outage += not answered
        await until_done(post, accept={200})
        self.ledger.webhook_posts += 1
        if self.random.random() < self.duplicate_rate:  # Meta delivers it again, later
            self.ledger.duplicate_deliveries += 1
            delay = self.random.uniform(0.1, 3.0)

            async def again() -> None:
                await asyncio.sleep(delay)
                await until_done(post, accept={200})

            self.late_deliveries.append(asyncio.create_task(again()))

    async def customer_writes(self, wa_id: str, kind: str = "text") -> Sent:
        wamid = f"wamid.fault{uuid.uuid4().hex}"
        if kind == "sticker":
            message = sticker_message(wa_id, wamid=wamid)
        elif kind == "location":
            message = location_message(wa_id, -23.5614, -46.6559, name="Concessionária", wamid=wamid)
        else:
            message = text_message(wa_id, f"Olá, mensagem {uuid.uuid4().hex[:6]}", wamid=wamid)
        await self.deliver(self.builder.inbound(message, profile_name=f"Cliente {wa_id[-4:]}"))
        sent = Sent(wamid, kind, wa_id)
        self.ledger.customer_messages.append(sent)
        return sent

    def any_kind(self) -> str:
        return self.random.choices(["text", "sticker", "location"], weights=[70, 15, 15])[0]

    # --- the agents' side --------------------------------------------------------------------------------
    async def conversation_of(self, wa_id: str, deadline_s: float = 120.0) -> str:
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            rows = await self.system.rows(
                "router",
                "SELECT conversation_id FROM conversation_view WHERE customer_wa_id = :w AND status <> 'finished'",
                w=wa_id,
            )
            if rows:
                return str(rows[0][0])
            await asyncio.sleep(0.3)
        raise AssertionError(f"no open conversation for customer {wa_id} after {deadline_s}s")

    async def add_lead_racing(self, conversation_id: str, wa_id: str) -> str:
        """Both sellers press Add lead; exactly one gets the conversation."""

        async def press(agent: str) -> httpx.Response:
            return await until_done(
                lambda: self.http.post(
                    f"{self.system.url('leads')}/leads",
                    headers=self.auth(agent),
                    json={
                        "conversation_id": conversation_id,
                        "name": f"Cliente {wa_id[-4:]}",
                        "mobile": f"+{wa_id}",
                        "idempotency_key": f"add-{agent}-{conversation_id}",
                    },
                ),
                accept={201, 409},
            )

        answers = dict(zip(("ana", "bruno"), await asyncio.gather(press("ana"), press("bruno")), strict=True))
        winners = [agent for agent, response in answers.items() if response.status_code == 201]
        assert len(winners) == 1, {agent: (r.status_code, r.text[:200]) for agent, r in answers.items()}
        self.ledger.refused_claims += len(answers) - 1
        self.ledger.leads[conversation_id] = answers[winners[0]].json()["lead_id"]
        return winners[0]

    async def reply(self, agent: str, conversation_id: str, n: int) -> None:
        await until_done(
            lambda: self.http.post(
                f"{self.system.url('router')}/conversations/{conversation_id}/messages",
                headers=self.auth(agent),
                json={
                    "idempotency_key": f"reply-{conversation_id}-{n}",
                    "content": {"kind": "text", "body": f"Resposta {n}"},
                },
            ),
            accept={202},
        )
        self.ledger.replies[conversation_id] = self.ledger.replies.get(conversation_id, 0) + 1

    async def transfer(self, owner: str, conversation_id: str) -> str:
        other = "bruno" if owner == "ana" else "ana"
        lead = self.ledger.leads[conversation_id]
        await until_done(
            lambda: self.http.post(
                f"{self.system.url('leads')}/leads/{lead}/transfer",
                headers=self.auth(owner),
                json={"to_agent_id": other, "to_team_id": "vendas"},
            ),
            accept={200},
        )
        self.ledger.transfers += 1
        return other

    async def finish(self, agent: str, conversation_id: str) -> None:
        async def owned_by_agent() -> bool:
            rows = await self.system.rows(
                "router",
                "SELECT owner_id FROM conversation_view WHERE conversation_id = :c",
                c=uuid.UUID(conversation_id),
            )
            return bool(rows) and rows[0][0] == agent

        deadline = time.monotonic() + 120  # a transfer reaches the router through the leads topic (maybe frozen)
        while not await owned_by_agent():
            assert time.monotonic() < deadline, f"{conversation_id} never passed to {agent}"
            await asyncio.sleep(0.3)
        await until_done(
            lambda: self.http.post(
                f"{self.system.url('router')}/conversations/{conversation_id}/finish", headers=self.auth(agent)
            ),
            accept={200},
        )
        self.ledger.finished.add(conversation_id)

    # --- steady load beside the stories ------------------------------------------------------------------
    async def chatter(self, rate: float, stop: asyncio.Event, *, customers: int = 500) -> None:
        """Customers already talking write ``rate`` messages a second on an open-loop schedule (a slow answer never
        delays the next message) until ``stop``; returns once every message started is answered 200."""
        started, sent, writes = time.monotonic(), 0, []
        while not stop.is_set():
            # real mobile numbers (9 after the area code), none a new customer's (55119 then 1–9: customer_arrives)
            writes.append(asyncio.create_task(self.customer_writes(f"551190{sent % customers:07d}")))
            sent += 1
            delay = started + sent / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        await asyncio.gather(*writes)

    # --- one customer's story ----------------------------------------------------------------------------
    async def customer_arrives(self) -> str:
        """A new customer writes one to three messages, whatever the agents are busy with; returns their number."""
        wa_id = f"55119{self.random.randrange(10_000_000, 99_999_999)}"
        await self.customer_writes(wa_id)
        for _ in range(self.random.randrange(0, 3)):
            await self.customer_writes(wa_id, self.any_kind())
        return wa_id

    async def agents_take_it(self, n: int, wa_id: str) -> None:
        """Two sellers race for the lead; the winner replies, the customer answers, maybe a transfer, maybe a finish."""
        conversation_id = await self.conversation_of(wa_id)
        owner = await self.add_lead_racing(conversation_id, wa_id)
        await self.reply(owner, conversation_id, 1)
        await self.customer_writes(wa_id, self.any_kind())
        if self.random.random() < 0.3:
            owner = await self.transfer(owner, conversation_id)
        if n % 5 == 4:  # some conversations stay open: their status must follow the last message
            if self.random.random() < 0.5:
                await self.reply(owner, conversation_id, 2)
            return
        await self.finish(owner, conversation_id)
