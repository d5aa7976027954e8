"""The Add lead saga: a pending lead, the router's claim, then the lead made or abandoned.

Invariants (README, "The Add lead saga"):
- a saga is keyed by the request's idempotency key: a retried save finds it and creates nothing twice;
- a lead is published (``created``) only after the router granted its claim; a refused claim abandons it;
- a saga leaves ``pending`` once: to ``created`` or to ``abandoned``; an abandonment for want of an answer
  (the router was unreachable) may be taken up again by the same request, any other is final.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from .errors import IdempotencyKeyReused
from .events import AgentRef, ContactDetails
from .lead import Agent


class SagaState(StrEnum):
    PENDING = "pending"
    CREATED = "created"
    ABANDONED = "abandoned"


class AbandonReason(StrEnum):
    LOST = "lost"  # someone else owns the conversation
    NOT_FOUND = "not_found"  # the router does not show this agent the conversation
    REJECTED = "rejected"  # the router refused for another reason (finished, not in the agent's pool)
    UNCLAIMED = "unclaimed"  # nobody answered in time and the conversation is still unclaimed


@dataclass(frozen=True)
class AddLeadSaga:
    account_id: str
    idempotency_key: str
    lead_id: str
    attaches: bool
    """True when the customer already has a lead (unification): the conversation joins it."""
    conversation_id: str
    agent: AgentRef
    team_id: str
    details: ContactDetails
    started_at: datetime
    state: SagaState = SagaState.PENDING
    abandon_reason: AbandonReason | None = None
    refusal: dict[str, str] | None = None
    """What the router said when it refused: owner id and name, or status, code and message."""

    def check_same_request(self, *, agent_id: str, conversation_id: str) -> None:
        if agent_id != self.agent.id or conversation_id != self.conversation_id:
            raise IdempotencyKeyReused("this idempotency key was used for another Add lead")

    def is_stale(self, now: datetime, *, after: timedelta) -> bool:
        """Pending for longer than a request takes: its request died half-way and recovery takes over."""
        return self.state is SagaState.PENDING and now - self.started_at >= after

    @property
    def may_resume(self) -> bool:
        """The same request may try again: still pending, or abandoned only because nobody answered."""
        return self.state is SagaState.PENDING or self.abandon_reason is AbandonReason.UNCLAIMED

    def completed(self) -> AddLeadSaga:
        return replace(self, state=SagaState.CREATED, abandon_reason=None, refusal=None)

    def abandoned(self, reason: AbandonReason, refusal: dict[str, str] | None = None) -> AddLeadSaga:
        return replace(self, state=SagaState.ABANDONED, abandon_reason=reason, refusal=refusal)

    def resumed(self, now: datetime) -> AddLeadSaga:
        return replace(self, state=SagaState.PENDING, abandon_reason=None, refusal=None, started_at=now)


def claim_is_ours(saga: AddLeadSaga, *, owner_id: str | None, conversation_lead_id: str | None) -> bool:
    """The router holds this saga's claim: this agent owns the conversation, for this lead.

    A 409 that names our own agent is our earlier claim (a retry after a crash between the claim and
    the commit), not a lost race: the saga is won.
    """
    return owner_id == saga.agent.id and conversation_lead_id == saga.lead_id


def recovery_verdict(
    saga: AddLeadSaga, *, owner_id: str | None, conversation_lead_id: str | None
) -> AbandonReason | None:
    """What recovery does with a stale pending saga: None completes it, a reason abandons it."""
    if claim_is_ours(saga, owner_id=owner_id, conversation_lead_id=conversation_lead_id):
        return None
    return AbandonReason.UNCLAIMED if owner_id is None else AbandonReason.LOST


def team_for_lead(agent: Agent, pool_team_ids: frozenset[str]) -> str | None:
    """The agent's team whose pool held the conversation (the router's claim rule), else their first team."""
    shared = sorted(agent.team_ids & pool_team_ids)
    if shared:
        return shared[0]
    if agent.is_admin and pool_team_ids:
        return min(pool_team_ids)
    return min(agent.team_ids) if agent.team_ids else None
