"""The account directory as a service other than the router sees it: the router's integration topic, folded in memory.

Every replica reads the whole ``leadline.router.integration`` topic itself, without a consumer group (each replica
must see every change, as the router's live feed does), from its start — the topic is kept forever and small: one
event per configuration change — and then follows it. An upsert carries the agent's (or team's) whole current
state, so the fold is the latest event per agent and per team. An account's events are one stream, on one partition,
in ``sequence`` order; a sequence already applied (the relay delivering a batch twice) changes nothing.

How fast a change takes effect: as soon as its event is read, milliseconds after the router commits it; nothing
expires on a timer. The router being down changes nothing here. The broker being down freezes the fold where it
was, and it resumes from the offsets it had read. Until the fold has read as far as the topic reached when it
started, a lookup waits (``ready_within_s``) and then answers 503 ``directory_unavailable``.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from leadline.events import REGISTRY, Envelope
from leadline.events.registry import UndecodableEvent
from leadline.events.router_integration import AgentUpsertedV1, TeamUpsertedV1
from leadline.events.topics import ROUTER_INTEGRATION

from . import kafka_clients
from .access import Access, AgentRights, DirectoryUnavailable, without_retired_teams
from .auth import verifier_from_settings
from .groupless import follow_without_a_group
from .runtime import ServiceRuntime
from .settings import KafkaSettings
from .tokens import Role

log = structlog.get_logger(__name__)

DIRECTORY_TOPIC = ROUTER_INTEGRATION
"""Where the account directory is read from, groupless, by every replica of leads and history."""


class DirectoryFold:
    """The agents and retired teams of every account, from the integration events applied so far.

    Invariants: each account's events are applied once, in ``sequence`` order (a lower or equal sequence is
    skipped); an agent's rights count only the teams of theirs that are active (a retired team gives no pool).
    """

    def __init__(self) -> None:
        self._agents: dict[tuple[str, str], AgentRights] = {}
        self._retired_teams: dict[str, set[str]] = defaultdict(set)
        self._applied: dict[str, int] = {}

    def apply(self, envelope: Envelope) -> bool:
        """Fold one event in; False when it was already applied (or says nothing about rights)."""
        account_id = envelope.account_id
        if envelope.sequence <= self._applied.get(account_id, 0):
            return False
        self._applied[account_id] = envelope.sequence
        try:
            payload = REGISTRY.decode(envelope)
        except UndecodableEvent:  # a newer schema this replica cannot read; the next upsert carries the whole state
            log.warning("directory event not understood", event_type=envelope.type, version=envelope.schema_version)
            return False
        match payload:
            case AgentUpsertedV1():
                self._agents[account_id, payload.agent_id] = AgentRights(
                    payload.name, Role(payload.role.value), frozenset(payload.team_ids), payload.active
                )
            case TeamUpsertedV1():
                retired = self._retired_teams[account_id]
                (retired.discard if payload.active else retired.add)(payload.team_id)
            case _:
                return False
        return True

    def rights(self, account_id: str, agent_id: str) -> AgentRights | None:
        agent = self._agents.get((account_id, agent_id))
        if agent is None:
            return None
        return without_retired_teams(agent, self._retired_teams.get(account_id, ()))

    def __len__(self) -> int:
        return len(self._agents)


class DirectoryProjection:
    """``RightsSource`` of a service that is not the router: the fold, kept current by ``run`` (a background task)."""

    def __init__(
        self,
        *,
        kafka: KafkaSettings,
        topic: str = DIRECTORY_TOPIC,
        ready_within_s: float = 10.0,
    ) -> None:
        self._kafka = kafka
        self._topic = topic
        self._ready_within_s = ready_within_s
        self.fold = DirectoryFold()
        self.caught_up = asyncio.Event()  # set once the fold has read as far as the topic reached at start
        self._positions: dict[TopicPartition, int] = {}
        self._ends: dict[TopicPartition, int] | None = None

    async def rights(self, account_id: str, agent_id: str) -> AgentRights | None:
        if not self.caught_up.is_set():
            try:
                await asyncio.wait_for(self.caught_up.wait(), self._ready_within_s)
            except TimeoutError:
                raise DirectoryUnavailable() from None
        return self.fold.rights(account_id, agent_id)

    # ---- the loop -----------------------------------------------------------------------------------------
    async def run(self) -> None:
        """Until cancelled: read the topic from where this replica left it (its start, the first time); through a
        broker outage the fold stays as it is and resumes where it was."""
        await follow_without_a_group(
            self._kafka,
            reader="directory",
            start_at="earliest",
            on_connected=self._assign,
            consume=self._follow,
        )

    async def _assign(self, consumer: AIOKafkaConsumer) -> None:
        await consumer.topics()
        partitions = consumer.partitions_for_topic(self._topic)
        if not partitions:
            raise RuntimeError(f"topic {self._topic} has no partitions (yet)")
        assigned = [TopicPartition(self._topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        for partition in assigned:
            if partition in self._positions:
                consumer.seek(partition, self._positions[partition])
            else:
                await consumer.seek_to_beginning(partition)
        if self._ends is None:
            self._ends = await consumer.end_offsets(assigned)

    async def _follow(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            if not self.caught_up.is_set() and await self._reached_the_start_time_end(consumer):
                self.caught_up.set()
                log.info("directory loaded", agents=len(self.fold))
            batch = await consumer.getmany(
                timeout_ms=100 if not self.caught_up.is_set() else kafka_clients.IDLE_TURN_MS
            )
            for partition, records in batch.items():
                for record in records:
                    self._apply(record.value)
                    self._positions[partition] = record.offset + 1

    async def _reached_the_start_time_end(self, consumer: AIOKafkaConsumer) -> bool:
        for partition, end in (self._ends or {}).items():
            if await consumer.position(partition) < end:
                return False
        return True

    def _apply(self, value: bytes) -> None:
        try:
            envelope = Envelope.from_bytes(value)
        except ValidationError:
            log.warning("directory feed skipped a malformed envelope")
            return
        if self.fold.apply(envelope) and self.caught_up.is_set():
            log.info("directory changed", account_id=envelope.account_id, event_type=envelope.type)


def access_by_the_directory_topic(runtime: ServiceRuntime) -> Access:
    """The ``Access`` of a service that is not the router: its fold of the topic, followed while the service runs."""
    settings = runtime.settings
    directory = DirectoryProjection(kafka=settings)
    runtime.run_in_background("account-directory", directory.run)
    return Access(verifier_from_settings(settings), directory)
