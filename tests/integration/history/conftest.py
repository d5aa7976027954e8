"""The history service running in-process on the session's real broker and database, and a way to feed it.

Events are built with ``new_envelope`` and published with aiokafka to the real topics, keyed by stream id,
the way router, leads and ingest publish them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select

from leadline.events import AgentRef, Envelope, new_envelope
from leadline.events.content import MediaRef, MediaUnavailable, StoredMedia, TextContent
from leadline.events.envelope import Payload
from leadline.events.ingest import MediaStoredV1
from leadline.events.leads import LeadCreatedV1
from leadline.events.router import (
    ConversationClaimedV1,
    ConversationFinishedV1,
    ConversationOpenedV1,
    ConversationReopenedV1,
    MessageAppendedV1,
    MessageMediaUpdatedV1,
)
from leadline.events.router_integration import AgentRole, AgentUpsertedV1
from leadline.events.topics import topic_for
from leadline.history.adapters.tables import timeline_entries
from leadline.history.bootstrap import MIGRATIONS, build
from leadline.history.entrypoints.settings import HistorySettings
from leadline.platform.access import AgentRights
from leadline.platform.migrations import upgrade_to_head
from leadline.platform.tokens import Role, mint_token

JWT_SECRET = "history-test-secret-history-test-secret"
ANA = AgentRef(id="ana", name="Ana Souza")
PHONE_NUMBER_ID = "106540352242922"
_customers = itertools.count(10_000_000)


def settings_for(infra, url: str, **overrides) -> HistorySettings:
    return HistorySettings(
        database_url=url,
        kafka_bootstrap_servers=infra.bootstrap_servers,
        jwt_secret=JWT_SECRET,
        kafka_group_prefix=f"t{uuid.uuid4().hex[:6]}-",
        **overrides,
    )


def stored(name: str) -> StoredMedia:
    return StoredMedia(key=f"media/{name}", uri=f"s3://leadline-media/media/{name}", size_bytes=1234, sha256="a" * 64)


def media(mime: str, *, stored_as: str | None = None) -> MediaRef:
    return MediaRef(
        provider_media_id=None if stored_as else f"{uuid.uuid4().int % 10**15}",
        mime_type=mime,
        stored=stored(stored_as) if stored_as else None,
    )


@dataclass
class Feed:
    """One dealer account writing to the real topics: sequences per stream, envelopes kept for redelivery."""

    producer: AIOKafkaProducer
    account_id: str = field(default_factory=lambda: f"dealer-{uuid.uuid4().hex[:8]}")
    clock: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(days=1))
    sequences: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    sent: list[Envelope] = field(default_factory=list)

    def tick(self, seconds: float = 1) -> datetime:
        self.clock += timedelta(seconds=seconds)
        return self.clock

    def envelope(self, payload: Payload, *, at: datetime | None = None) -> Envelope:
        stream = payload.stream_id(self.account_id)
        self.sequences[stream] += 1
        return new_envelope(
            payload,
            account_id=self.account_id,
            stream_id=stream,
            sequence=self.sequences[stream],
            occurred_at=at or self.tick(),
        )

    async def publish(self, *envelopes: Envelope) -> None:
        for envelope in envelopes:
            await self.producer.send_and_wait(topic_for(envelope.type), envelope.to_bytes(), key=envelope.key)
            self.sent.append(envelope)

    async def send(self, payload: Payload, *, at: datetime | None = None) -> Envelope:
        envelope = self.envelope(payload, at=at)
        await self.publish(envelope)
        return envelope

    # --- the router's side of a conversation -------------------------------------------------------------
    def new_chat(self) -> tuple[uuid.UUID, str]:
        return uuid.uuid4(), f"55119{next(_customers):08d}"

    async def open(self, conversation_id: uuid.UUID, wa_id: str, *, lead_id: uuid.UUID | None = None) -> Envelope:
        return await self.send(
            ConversationOpenedV1(
                conversation_id=conversation_id,
                phone_number_id=PHONE_NUMBER_ID,
                business_display_number="+55 11 4000-0001",
                customer_wa_id=wa_id,
                customer_phone=f"+{wa_id}",
                customer_display_name="João Pereira",
                status="new",
                team_ids=("vendas",),
                opened_by="customer",
                lead_id=lead_id,
            )
        )

    async def message(
        self,
        conversation_id: uuid.UUID,
        content,
        *,
        origin: str = "customer",
        wamid: str | None = None,
        sender: AgentRef | None = None,
    ) -> MessageAppendedV1:
        payload = MessageAppendedV1(
            conversation_id=conversation_id,
            message_id=uuid.uuid4(),
            wamid=wamid or f"wamid.{uuid.uuid4().hex}",
            direction="inbound" if origin == "customer" else "outbound",
            origin=origin,
            sender=sender or (ANA if origin == "agent" else None),
            content=content,
            sent_at=self.tick(),
            status="unanswered" if origin == "customer" else "no_reply",
        )
        await self.send(payload, at=payload.sent_at)
        return payload

    async def say(self, conversation_id: uuid.UUID, text: str, **kwargs) -> MessageAppendedV1:
        return await self.message(conversation_id, TextContent(body=text), **kwargs)

    async def claim(self, conversation_id: uuid.UUID, lead_id: uuid.UUID | None = None) -> Envelope:
        return await self.send(
            ConversationClaimedV1(conversation_id=conversation_id, agent=ANA, team_id="vendas", lead_id=lead_id)
        )

    async def finish(self, conversation_id: uuid.UUID) -> Envelope:
        return await self.send(ConversationFinishedV1(conversation_id=conversation_id, agent=ANA))

    async def reopen(self, conversation_id: uuid.UUID) -> Envelope:
        return await self.send(ConversationReopenedV1(conversation_id=conversation_id, reopened_by="customer"))

    # --- leads and ingest ---------------------------------------------------------------------------------
    async def lead_created(self, lead_id: uuid.UUID, conversation_id: uuid.UUID, wa_id: str) -> Envelope:
        return await self.send(
            LeadCreatedV1(
                lead_id=lead_id,
                name="João Pereira",
                mobile=f"+{wa_id}",
                responsible_agent=ANA,
                team_id="vendas",
                conversation_id=conversation_id,
                idempotency_key=f"add-lead-{conversation_id}",
            )
        )

    async def media_updated(
        self, message: MessageAppendedV1, *, stored_as: str | None = None, unavailable: MediaUnavailable | None = None
    ) -> Envelope:
        """The router's ``message_media_updated``: the message's media now stored, not available, or neither."""
        media = message.content.media.model_copy(
            update={"stored": stored(stored_as) if stored_as else None, "unavailable": unavailable}
        )
        return await self.send(
            MessageMediaUpdatedV1(
                conversation_id=message.conversation_id, message_id=message.message_id, wamid=message.wamid, media=media
            )
        )

    async def media_stored(self, wa_id: str, wamid: str, name: str) -> Envelope:
        return await self.send(
            MediaStoredV1(
                phone_number_id=PHONE_NUMBER_ID,
                customer_wa_id=wa_id,
                wamid=wamid,
                provider_media_id="998877",
                stored=stored(name),
                mime_type="image/jpeg",
            )
        )


@dataclass
class RunningHistory:
    app: object
    sessions: object
    settings: HistorySettings
    producer: AIOKafkaProducer
    directory_sequences: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    async def entries(self, **where) -> list:
        statement = select(timeline_entries).order_by(timeline_entries.c.at, timeline_entries.c.entry_id)
        for column, value in where.items():
            statement = statement.where(timeline_entries.c[column] == value)
        async with self.sessions() as session:
            return (await session.execute(statement)).all()

    async def wait_for(self, check, *, timeout_s: float = 20.0, **where) -> list:
        """Poll until ``check(entries)`` holds (the consumer runs in the background)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            rows = await self.entries(**where)
            if check(rows):
                return rows
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"timeline never satisfied the check; last rows: {[(r.kind, r.text) for r in rows]}"
                )
            await asyncio.sleep(0.1)

    async def directory_says(
        self,
        account_id: str,
        agent_id: str = "ana",
        *,
        role: str = "seller",
        teams: tuple[str, ...] = ("vendas",),
        active: bool = True,
        wait: bool = True,
    ) -> None:
        """The router publishes this agent's state on the account's integration stream; returns once the history
        service's directory holds it (``wait``), or at once."""
        self.directory_sequences[account_id] += 1
        payload = AgentUpsertedV1(
            agent_id=agent_id, name=agent_id.title(), role=AgentRole(role), team_ids=teams, active=active
        )
        envelope = new_envelope(
            payload,
            account_id=account_id,
            stream_id=payload.stream_id(account_id),
            sequence=self.directory_sequences[account_id],
            occurred_at=datetime.now(UTC),
        )
        await self.producer.send_and_wait(topic_for(envelope.type), envelope.to_bytes(), key=envelope.key)
        if not wait:
            return
        fold = self.app.state.access.directory.fold
        deadline = asyncio.get_running_loop().time() + 20
        while fold.rights(account_id, agent_id) != AgentRights(agent_id.title(), Role(role), frozenset(teams), active):
            assert asyncio.get_running_loop().time() < deadline, "the history service's directory never heard of it"
            await asyncio.sleep(0.01)

    def client_with_token(self, account_id: str, agent_id: str = "ana") -> httpx.AsyncClient:
        token = mint_token(
            secret=JWT_SECRET,
            agent_id=agent_id,
            name="Ana Souza",
            role="seller",
            account_id=account_id,
            teams=["vendas"],
        )
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://history",
            headers={"Authorization": f"Bearer {token}"},
        )

    @contextlib.asynccontextmanager
    async def client(self, account_id: str, agent_id: str = "ana") -> AsyncIterator[httpx.AsyncClient]:
        """A client of the query API as an active seller of the account (put in its directory first, if need be)."""
        if self.app.state.access.directory.fold.rights(account_id, agent_id) is None:
            await self.directory_says(account_id, agent_id)
        async with self.client_with_token(account_id, agent_id) as client:
            yield client


@pytest.fixture(scope="session")
async def history(infra, producer):
    url = await infra.new_database("history")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
    settings = settings_for(infra, url)
    app = build(settings)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        yield RunningHistory(app, runtime.sessions, settings, producer)


@pytest.fixture(scope="session")
async def producer(infra):
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap_servers, acks="all", linger_ms=1)
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
def feed(producer) -> Feed:
    return Feed(producer)
