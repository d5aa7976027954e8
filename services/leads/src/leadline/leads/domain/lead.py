"""The lead aggregate: a customer an agent took with "Add lead", its owner, conversations and temperature; who may see it.

Invariants:
- exactly one responsible agent and one team at a time; a transfer names both;
- a conversation is attached once and counts as one conversion point at most;
- a lead merged into another by a conflict resolution takes no new conversations and no transfers;
- the temperature changes only when the rules say something else than the current one.
State is a fold of the lead's events; commands append new events to ``pending``. The state can also be given
(``state``) and taken back (``restore``), so a store need not fold the whole stream.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from . import events as ev
from .errors import LeadMerged
from .temperature import Assessment


class LeadStatus(StrEnum):
    ACTIVE = "active"
    MERGED = "merged"  # unified into another lead by a conflict resolution: read-only from then on


ACTIVE, MERGED = LeadStatus


@dataclass(frozen=True)
class Agent:
    """Who is asking: the token's identity, with the role and teams the account directory gives them."""

    id: str
    name: str
    role: str
    account_id: str
    team_ids: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def may_see_lead(agent: Agent, *, account_id: str, owner_id: str, team_id: str) -> bool:
    """The lead's owner, its team and the account's administrators; another account's lead is a 404 like a missing one."""
    if agent.account_id != account_id:
        return False
    return agent.is_admin or agent.id == owner_id or team_id in agent.team_ids


def may_transfer_lead(agent: Agent, *, owner_id: str) -> bool:
    """Only the responsible agent hands a lead over, or an administrator reassigns it."""
    return agent.is_admin or agent.id == owner_id


@dataclass(frozen=True)
class LeadState:
    """A lead as of ``version`` (the stream's last event folded in), as plain values."""

    version: int
    details: ev.ContactDetails | None
    owner: ev.AgentRef | None
    team_id: str | None
    origin_conversation_id: str | None
    conversation_ids: frozenset[str]
    conversion_points: tuple[ev.ConversionPoint, ...]  # in the order they were recorded
    temperature: str | None
    status: LeadStatus
    merged_into: str | None
    open_conflicts: frozenset[str]


class Lead:
    def __init__(self, lead_id: str, account_id: str) -> None:
        self.id = lead_id
        self.account_id = account_id
        self.version = 0
        self.pending: list[ev.DomainEvent] = []
        self.details: ev.ContactDetails | None = None
        self.owner: ev.AgentRef | None = None
        self.team_id: str | None = None
        self.origin_conversation_id: str | None = None
        self.conversation_ids: set[str] = set()
        self.conversion_points: dict[str, ev.ConversionPoint] = {}  # by conversation: each counts once
        self.temperature: str | None = None
        self.status: LeadStatus = ACTIVE
        self.merged_into: str | None = None
        self.open_conflicts: set[str] = set()

    @classmethod
    def rehydrate(cls, lead_id: str, account_id: str, history: Iterable[ev.DomainEvent]) -> Lead:
        lead = cls(lead_id, account_id)
        for event in history:
            lead._apply(event)
        return lead

    def state(self) -> LeadState:
        return LeadState(
            version=self.version,
            details=self.details,
            owner=self.owner,
            team_id=self.team_id,
            origin_conversation_id=self.origin_conversation_id,
            conversation_ids=frozenset(self.conversation_ids),
            conversion_points=tuple(self.conversion_points.values()),
            temperature=self.temperature,
            status=self.status,
            merged_into=self.merged_into,
            open_conflicts=frozenset(self.open_conflicts),
        )

    @classmethod
    def restore(cls, lead_id: str, account_id: str, state: LeadState) -> Lead:
        """The lead as ``state`` left it, without folding its events again."""
        lead = cls(lead_id, account_id)
        lead.version, lead.details, lead.owner, lead.team_id = state.version, state.details, state.owner, state.team_id
        lead.origin_conversation_id = state.origin_conversation_id
        lead.conversation_ids = set(state.conversation_ids)
        lead.conversion_points = {point.conversation_id: point for point in state.conversion_points}
        lead.temperature, lead.status, lead.merged_into = state.temperature, state.status, state.merged_into
        lead.open_conflicts = set(state.open_conflicts)
        return lead

    @property
    def customer_phone(self) -> str | None:
        """A key of lead unification: the lead's mobile, normalised to E.164 (None until a BSUID-only customer shares it)."""
        assert self.details is not None
        return self.details.mobile

    @property
    def whatsapp_user_id(self) -> str | None:
        """The other key of lead unification: the customer's WhatsApp BSUID."""
        assert self.details is not None
        return self.details.whatsapp_user_id

    def _record(self, event: ev.DomainEvent) -> None:
        self._apply(event)
        self.pending.append(event)

    def _apply(self, event: ev.DomainEvent) -> None:
        self.version += 1
        match event:
            case ev.LeadCreated():
                self.details, self.owner, self.team_id = event.details, event.responsible, event.team_id
                self.origin_conversation_id = event.conversation_id
                self.conversation_ids.add(event.conversation_id)
            case ev.ConversionPointRecorded():
                self.conversion_points[event.point.conversation_id] = event.point
                self.conversation_ids.add(event.point.conversation_id)
            case ev.ConversationAttached():
                self.conversation_ids.add(event.conversation_id)
            case ev.LeadTransferred():
                self.owner, self.team_id = event.to_agent, event.to_team_id
            case ev.TemperatureChanged():
                self.temperature = event.to_temperature
            case ev.MobileShared():
                assert self.details is not None
                self.details = replace(
                    self.details,
                    mobile=event.mobile,
                    whatsapp_user_id=self.details.whatsapp_user_id or event.whatsapp_user_id,
                )
            case ev.ConflictDetected():
                self.open_conflicts.add(event.conflict_id)
            case ev.ConflictResolved():
                self.open_conflicts.discard(event.conflict_id)
                if event.kept_lead_id and event.kept_lead_id != self.id:
                    self.status, self.merged_into = MERGED, event.kept_lead_id

    # ---- commands ----------------------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        lead_id: str,
        account_id: str,
        *,
        details: ev.ContactDetails,
        responsible: ev.AgentRef,
        team_id: str,
        conversation_id: str,
        idempotency_key: str,
        point: ev.ConversionPoint | None,
        at: datetime,
    ) -> Lead:
        """Add lead: the agent who won the conversation's claim becomes the lead's only owner."""
        lead = cls(lead_id, account_id)
        lead._record(
            ev.LeadCreated(
                details=details,
                responsible=responsible,
                team_id=team_id,
                conversation_id=conversation_id,
                idempotency_key=idempotency_key,
                at=at,
            )
        )
        if point is not None:
            lead._record(ev.ConversionPointRecorded(point))
        return lead

    def _refuse_if_merged(self) -> None:
        if self.status == MERGED:
            raise LeadMerged(f"this lead was unified into lead {self.merged_into}")

    def attach_conversation(self, conversation_id: str, point: ev.ConversionPoint | None, *, at: datetime) -> bool:
        """Lead unification: the customer's new conversation joins their lead (and counts as a conversion point)."""
        self._refuse_if_merged()
        changed = False
        if conversation_id not in self.conversation_ids:
            self._record(ev.ConversationAttached(conversation_id, at))
            changed = True
        if point is not None and point.conversation_id not in self.conversion_points:
            self._record(ev.ConversionPointRecorded(point))
            changed = True
        return changed

    def is_with(self, agent_id: str, team_id: str | None) -> bool:
        """The lead already sits with this agent (in this team, when one is named): a transfer there changes nothing.

        So a transfer retried after its answer was lost is answered as done, not refused because the
        caller is no longer the responsible agent.
        """
        return self.owner is not None and self.owner.id == agent_id and team_id in (None, self.team_id)

    def take_shared_mobile(self, mobile: str, *, conversation_id: str, at: datetime) -> bool:
        """The customer shared their number (request contact info): it becomes the mobile of a lead that had none.

        A number an agent typed is never overwritten; the same share seen twice changes nothing.
        """
        assert self.details is not None
        if self.status == MERGED or self.details.mobile is not None:
            return False
        self._record(ev.MobileShared(mobile, conversation_id, self.details.whatsapp_user_id, at))
        return True

    def transfer(self, to_agent: ev.AgentRef, to_team_id: str, *, at: datetime) -> bool:
        """The lead gets a new responsible agent; the router moves its open conversations along."""
        self._refuse_if_merged()
        assert self.owner is not None and self.team_id is not None
        if self.owner.id == to_agent.id and self.team_id == to_team_id:
            return False
        self._record(ev.LeadTransferred(self.owner, self.team_id, to_agent, to_team_id, at))
        return True

    def assess_temperature(self, assessment: Assessment, *, at: datetime) -> bool:
        """Only a different temperature is news; new reasons for the same one are not."""
        if self.status == MERGED or assessment.temperature == self.temperature:
            return False
        self._record(ev.TemperatureChanged(self.temperature, assessment.temperature, assessment.reasons, at))
        return True

    def note_conflict(
        self, conflict_id: str, *, team_ids: tuple[str, ...], lead_ids: tuple[str, ...], at: datetime
    ) -> bool:
        if conflict_id in self.open_conflicts:
            return False
        self._record(
            ev.ConflictDetected(conflict_id, self.customer_phone, team_ids, lead_ids, at, self.whatsapp_user_id)
        )
        return True

    def settle_conflict(self, conflict_id: str, *, kept_lead_id: str, by: ev.AgentRef, at: datetime) -> None:
        """The administrator's choice: the kept lead lives on, the others are merged into it."""
        self._record(ev.ConflictResolved(conflict_id, kept_lead_id, by, at))
