"""The live feed: each change of a conversation, pushed to exactly the connected agents allowed to see it.

Every replica reads the whole ``leadline.router.conversations`` topic (the leads topic, for each lead's
temperature, which the inbox rows and headers show, and the account directory's integration topic) itself, without a consumer group
(each replica must see every event, and a live view has nothing to resume), from the end, and fans out
to the agents connected to it. The relay publishes only committed events, so after each one the
conversation's row is read from ``conversation_view`` and judged with the domain's own rule
(``domain.rules.may_see``, with the account from the account directory): the stream never disagrees
with ``GET /conversations/{id}``.

Access follows the directory: every directory change of an account makes this replica forget the account's rights
(``agent_rights``: every request is judged by them too) and judges the account's streams again with the rights as
committed; every event fanned out checks them as well. An agent who left or is unknown
is dropped and their stream ends; an agent whose role or teams changed is told ``removed`` for each conversation
on their screen they may no longer see, then dropped (they reload the inbox, and reconnect with their new rights).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.events import (
    LEAD_TEMPERATURE_CHANGED,
    REGISTRY,
    ConversationClaimedV1,
    ConversationTransferredV1,
    Envelope,
    LeadTemperatureChangedV1,
)
from leadline.events.registry import UndecodableEvent
from leadline.events.router import CONVERSATION_CLAIMED, CONVERSATION_TRANSFERRED
from leadline.events.topics import LEADS_LEADS, ROUTER_CONVERSATIONS, ROUTER_INTEGRATION
from leadline.platform import kafka_clients
from leadline.platform.access import AgentRights
from leadline.platform.groupless import follow_without_a_group
from leadline.platform.settings import KafkaSettings

from ..domain.agents import Account, Agent, Role
from ..domain.rules import may_see
from .account_directory import SqlAccountDirectory
from .agent_rights import DirectoryRights
from .queries import conversations_with_their_customer
from .tables import conversation_view

log = structlog.get_logger(__name__)

CONVERSATION, REMOVED, DROPPED = "conversation", "removed", "dropped"
LIVE_TOPICS = (ROUTER_CONVERSATIONS, LEADS_LEADS, ROUTER_INTEGRATION)
"""What the feed reads, groupless, on every replica (its Kafka user may read them: deploy/k8s/kafka_resources.py)."""
LiveEvent = tuple[str, dict[str, Any]]
ACCESS_LOST = "this agent no longer has access to the account"
ACCESS_CHANGED = "your access changed: reload the inbox and reconnect"


@dataclass(eq=False)
class Subscriber:
    """One open stream.

    Invariants: ``queue`` never holds more than the feed's ``max_queued`` events (a client that far behind
    is dropped with one final ``dropped`` event); ``shown`` holds the conversations this agent was sent and
    may still see, with the version sent, so a conversation leaving their view is announced only to them;
    a client that connected while the feed was not reading is dropped once it is (it may have missed changes).
    """

    account_id: str
    agent: Agent
    joined_live: bool
    queue: asyncio.Queue[LiveEvent] = field(default_factory=asyncio.Queue)
    shown: OrderedDict[str, int] = field(default_factory=OrderedDict)
    dropped: bool = False


class LiveFeed:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        rights: DirectoryRights | None = None,
        *,
        kafka: KafkaSettings,
        topics: tuple[str, ...] = LIVE_TOPICS,
        max_queued: int = 256,
        max_shown: int = 10_000,
    ) -> None:
        self._sessions = sessions
        self._rights = rights or DirectoryRights(sessions)
        self._kafka = kafka
        self._topics = topics
        self._max_queued = max_queued
        self._max_shown = max_shown
        self._subscribers: dict[str, set[Subscriber]] = defaultdict(set)
        self.live = asyncio.Event()  # set while reading from the end of every partition

    # ---- connections --------------------------------------------------------------------------------------
    def subscribe(self, account_id: str, agent: Agent) -> Subscriber:
        subscriber = Subscriber(account_id, agent, joined_live=self.live.is_set())
        self._subscribers[account_id].add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        connected = self._subscribers.get(subscriber.account_id)
        if connected is not None:
            connected.discard(subscriber)
            if not connected:
                del self._subscribers[subscriber.account_id]

    @property
    def connected(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    def _push(self, subscriber: Subscriber, event: LiveEvent) -> None:
        if subscriber.dropped:
            return
        if subscriber.queue.qsize() >= self._max_queued:
            self._drop(subscriber, "this stream fell too far behind: reload the inbox and reconnect")
            return
        subscriber.queue.put_nowait(event)

    def _drop(self, subscriber: Subscriber, reason: str, *, last_words: list[LiveEvent] | None = None) -> None:
        """Free what the client has not read and leave it its last events: memory stays bounded."""
        while not subscriber.queue.empty():
            subscriber.queue.get_nowait()
        for event in last_words or ():
            subscriber.queue.put_nowait(event)
        subscriber.queue.put_nowait((DROPPED, {"reason": reason}))
        subscriber.dropped = True
        self.unsubscribe(subscriber)
        log.info("live stream dropped", agent_id=subscriber.agent.id, reason=reason)

    def _drop_all(self, reason: str, *, account_id: str | None = None, joined_live: bool | None = None) -> None:
        for subscriber in [s for connected in self._subscribers.values() for s in connected]:
            if account_id in (None, subscriber.account_id) and joined_live in (None, subscriber.joined_live):
                self._drop(subscriber, reason)

    # ---- fan-out ------------------------------------------------------------------------------------------
    async def fan_out(self, envelope: Envelope) -> None:
        """Tell each connected agent of the account what this event changed for them, and nobody else anything."""
        subscribers = list(self._subscribers.get(envelope.account_id, ()))
        if not subscribers:
            return
        try:
            conversation_id = str(uuid.UUID(envelope.stream_id))
        except ValueError:
            return
        async with self._sessions() as session:
            rights = await self._rights.of_account(session, envelope.account_id)
            row = (
                await session.execute(
                    conversations_with_their_customer().where(conversation_view.c.conversation_id == conversation_id)
                )
            ).first()
            if row is None or row.account_id != envelope.account_id:
                return
            account = await SqlAccountDirectory(session).account(envelope.account_id)
        subscribers = await self._with_access(envelope.account_id, subscribers, rights)
        pool, collaborators = frozenset(row.pool_team_ids), frozenset(row.collaborator_ids)
        owner_before = _owner_before(envelope)
        data: dict[str, Any] | None = None
        for subscriber in subscribers:
            agent = subscriber.agent
            if may_see(
                agent, owner_id=row.owner_id, pool_team_ids=pool, collaborator_ids=collaborators, account=account
            ):
                if subscriber.shown.get(conversation_id, 0) >= row.version:
                    continue  # already sent this state (the row was read after a later event)
                data = data or _wire(row, envelope.type)
                subscriber.shown[conversation_id] = row.version
                subscriber.shown.move_to_end(conversation_id)
                if len(subscriber.shown) > self._max_shown:
                    subscriber.shown.popitem(last=False)
                self._push(subscriber, (CONVERSATION, data))
                continue
            # Removed for whoever had it on screen: sent on this stream, or (an ownership change) seen just before
            # it, e.g. in the pool from a list loaded over HTTP. Whoever never could see it learns nothing.
            had_it = subscriber.shown.pop(conversation_id, None) is not None or (
                owner_before is not _UNCHANGED
                and may_see(
                    agent, owner_id=owner_before, pool_team_ids=pool, collaborator_ids=collaborators, account=account
                )
            )
            if had_it:
                self._push(subscriber, (REMOVED, {"conversation_id": conversation_id}))

    async def fan_out_lead_temperature(self, envelope: Envelope) -> None:
        """A lead got warmer or colder: each connected agent who may see one of its conversations gets that row again
        with the new temperature (taken from the event: the router's own consumer may not have stored it yet)."""
        subscribers = list(self._subscribers.get(envelope.account_id, ()))
        if not subscribers:
            return
        try:
            change = REGISTRY.decode(envelope)
        except UndecodableEvent:
            return
        if not isinstance(change, LeadTemperatureChangedV1):
            return
        async with self._sessions() as session:
            rights = await self._rights.of_account(session, envelope.account_id)
            rows = (
                await session.execute(
                    conversations_with_their_customer().where(
                        conversation_view.c.lead_id == change.lead_id,
                        conversation_view.c.account_id == envelope.account_id,
                    )
                )
            ).all()
            if not rows:
                return
            account = await SqlAccountDirectory(session).account(envelope.account_id)
        subscribers = await self._with_access(envelope.account_id, subscribers, rights)
        for row in rows:
            data = {**_wire(row, envelope.type), "lead_temperature": change.to_temperature.value}
            for subscriber in subscribers:
                if may_see(
                    subscriber.agent,
                    owner_id=row.owner_id,
                    pool_team_ids=frozenset(row.pool_team_ids),
                    collaborator_ids=frozenset(row.collaborator_ids),
                    account=account,
                ):
                    self._push(subscriber, (CONVERSATION, data))

    # ---- access ---------------------------------------------------------------------------------------------
    async def follow_directory(self, account_id: str) -> None:
        """The account's directory changed: judge each of its streams again with the rights and settings as they are now."""
        self._rights.forget(account_id)
        subscribers = list(self._subscribers.get(account_id, ()))
        if not subscribers:
            return
        shown = sorted({conversation_id for subscriber in subscribers for conversation_id in subscriber.shown})
        async with self._sessions() as session:
            rights = await self._rights.of_account(session, account_id)
            account = await SqlAccountDirectory(session).account(account_id)
            rows = (
                (
                    await session.execute(
                        conversations_with_their_customer().where(
                            conversation_view.c.conversation_id.in_(shown),
                            conversation_view.c.account_id == account_id,
                        )
                    )
                ).all()
                if shown
                else []
            )
        by_id = {str(row.conversation_id): row for row in rows}
        for subscriber in subscribers:
            self._judge_access(subscriber, rights.get(subscriber.agent.id), account, by_id)

    async def _with_access(
        self, account_id: str, subscribers: list[Subscriber], rights: Mapping[str, AgentRights]
    ) -> list[Subscriber]:
        """The subscribers whose rights are still those they connected with; the others are judged again first
        (the event that changed them may not have reached this replica yet)."""
        if all(_same_access(s.agent, rights.get(s.agent.id)) for s in subscribers):
            return subscribers
        await self.follow_directory(account_id)
        return [s for s in subscribers if not s.dropped]

    def _judge_access(
        self, subscriber: Subscriber, rights: AgentRights | None, account: Account, rows: dict[str, Any]
    ) -> None:
        if rights is None or not rights.active:
            self._drop(subscriber, ACCESS_LOST)
            return
        agent = Agent(subscriber.agent.id, rights.name, Role(rights.role.value), rights.team_ids)
        lost = [
            conversation_id
            for conversation_id in subscriber.shown
            if (row := rows.get(conversation_id)) is None
            or not may_see(
                agent,
                owner_id=row.owner_id,
                pool_team_ids=frozenset(row.pool_team_ids),
                collaborator_ids=frozenset(row.collaborator_ids),
                account=account,
            )
        ]
        for conversation_id in lost:
            del subscriber.shown[conversation_id]
        removed = [(REMOVED, {"conversation_id": conversation_id}) for conversation_id in lost]
        if not _same_access(subscriber.agent, rights):
            self._drop(subscriber, ACCESS_CHANGED, last_words=removed)
            return
        for event in removed:
            self._push(subscriber, event)

    # ---- the loop -----------------------------------------------------------------------------------------
    async def run(self) -> None:
        """Until cancelled: read every partition from its end; after an outage, tell every client to reload (events may
        have been missed while the broker was away)."""
        await follow_without_a_group(
            self._kafka,
            reader="router-live",
            start_at="latest",
            on_connected=self._go_live,
            consume=self._consume,
            on_lost=self._no_longer_live,
        )

    async def _go_live(self, consumer: AIOKafkaConsumer) -> None:
        await self._assign_at_end(consumer)
        self.live.set()
        self._rights.follow()
        self._drop_all("the live feed started after you connected: reload the inbox and reconnect", joined_live=False)

    def _no_longer_live(self) -> None:
        was_live = self.live.is_set()
        self.live.clear()
        self._rights.unfollow()
        if was_live:
            self._drop_all("the live feed stopped: reload the inbox and reconnect")

    async def _assign_at_end(self, consumer: AIOKafkaConsumer) -> None:
        await consumer.topics()  # metadata of every topic, so the partitions are known
        assigned = []
        for topic in self._topics:
            partitions = consumer.partitions_for_topic(topic)
            if not partitions:
                raise RuntimeError(f"topic {topic} has no partitions (yet)")
            assigned += [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        if not await consumer.seek_to_end(*assigned):
            raise RuntimeError("the broker did not tell the end offsets in time")
        for partition in assigned:  # resolved now: an event committed after this point is seen
            await consumer.position(partition)

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batch = await consumer.getmany(timeout_ms=kafka_clients.IDLE_TURN_MS)
            for records in batch.values():
                for record in records:
                    await self._handle(record.value)

    async def _handle(self, value: bytes) -> None:
        try:
            envelope = Envelope.from_bytes(value)
        except ValidationError:
            log.warning("live feed skipped a malformed envelope")
            return
        try:
            if envelope.type == LEAD_TEMPERATURE_CHANGED:
                await self.fan_out_lead_temperature(envelope)
            elif envelope.type.startswith("router.integration."):
                await self.follow_directory(envelope.account_id)
            elif envelope.type.startswith("router."):
                await self.fan_out(envelope)
        except Exception as error:  # the database hiccuped: these clients may now show a stale view
            log.warning(
                "live fan-out failed; the account's streams are told to reload",
                error=str(error),
                account_id=envelope.account_id,
                stream_id=envelope.stream_id,
            )
            self._drop_all(
                "the live feed missed a change: reload the inbox and reconnect", account_id=envelope.account_id
            )


_UNCHANGED = object()


def _same_access(agent: Agent, rights: AgentRights | None) -> bool:
    return (
        rights is not None
        and rights.active
        and (agent.role.value, agent.team_ids) == (rights.role.value, rights.team_ids)
    )


def _owner_before(envelope: Envelope) -> str | None | object:
    """Who owned the conversation just before an ownership change; ``_UNCHANGED`` for every other event.

    A claim always takes it from the pool (claim-once); a transfer names the owner it took it from.
    """
    if envelope.type not in (CONVERSATION_CLAIMED, CONVERSATION_TRANSFERRED):
        return _UNCHANGED
    try:
        payload = REGISTRY.decode(envelope)
    except UndecodableEvent:  # a newer schema this replica cannot read: the row still tells who sees it
        return _UNCHANGED
    match payload:
        case ConversationClaimedV1():
            return None
        case ConversationTransferredV1():
            return payload.from_agent.id if payload.from_agent else None
    return _UNCHANGED


def _wire(row: Any, event_type: str) -> dict[str, Any]:
    """The conversation as ``GET /conversations/{id}`` shows it, plus the event's type and the owner."""
    values = {
        k: (str(v) if isinstance(v, uuid.UUID) else v.isoformat() if isinstance(v, datetime) else v)
        for k, v in row._mapping.items()
    }
    owner = {"id": row.owner_id, "name": row.owner_name} if row.owner_id else None
    return {"type": event_type, **values, "owner": owner}
