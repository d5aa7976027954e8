"""What leads handlers need from the outside world, as Protocols and plain records (adapters implement them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from leadline.events.envelope import Envelope

from ..domain.activity import ConversationActivity
from ..domain.lead import Lead
from ..domain.saga import AddLeadSaga
from ..domain.unification import CustomerKeys, LeadConflict

Clock = Callable[[], datetime]


# ---- the router, over HTTP -----------------------------------------------------------------------------------
class RouterUnavailable(Exception):
    """The router did not answer (down, timed out, 5xx): nothing can be decided, try again later."""


@dataclass(frozen=True)
class RouterConversation:
    conversation_id: str
    customer_name: str
    customer_phone: str | None
    """The customer's number (E.164) as the router knows it now; None for a customer known only by BSUID."""
    phone_number_id: str
    business_display_number: str
    pool_team_ids: frozenset[str]
    owner_id: str | None
    owner_name: str | None
    lead_id: str | None
    status: str
    customer_user_id: str | None = None
    """The customer's WhatsApp BSUID, when WhatsApp named one."""
    customer_username: str | None = None


@dataclass(frozen=True)
class RouterMessage:
    direction: str
    kind: str
    text: str | None
    sent_at: datetime


@dataclass(frozen=True)
class Claimed:
    owner_id: str


@dataclass(frozen=True)
class ClaimRefused:
    """409 ``already_claimed``: the router names the owner."""

    owner_id: str
    owner_name: str


@dataclass(frozen=True)
class ClaimNotFound:
    pass


@dataclass(frozen=True)
class ClaimOtherwiseRejected:
    status: int
    code: str
    message: str


ClaimAnswer = Claimed | ClaimRefused | ClaimNotFound | ClaimOtherwiseRejected


class RouterApi(Protocol):
    """Every call raises ``RouterUnavailable`` when the router does not answer."""

    async def conversation(self, conversation_id: str, token: str) -> RouterConversation | None:
        """None for 404: missing or not visible with this token."""

    async def messages(self, conversation_id: str, token: str) -> list[RouterMessage]: ...

    async def claim(self, conversation_id: str, lead_id: str, token: str) -> ClaimAnswer: ...


class ServiceTokens(Protocol):
    def for_account(self, account_id: str) -> str:
        """A token the router accepts from the leads service itself (an administrator of the account)."""


# ---- the leads database --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConversationRecord:
    """What the leads service knows of one router conversation (from the router's topic)."""

    conversation_id: str
    account_id: str
    lead_id: str | None = None
    opened_by: str | None = None
    phone_number_id: str | None = None
    business_display_number: str | None = None
    customer_phone: str | None = None
    first_message_kind: str | None = None
    first_message_text: str | None = None
    first_message_at: datetime | None = None
    activity: ConversationActivity | None = None
    last_sequence: int = 0
    """The router's sequence of the last event folded into this record (0: none yet)."""


@dataclass(frozen=True)
class DirectoryAgent:
    agent_id: str
    name: str
    role: str
    team_ids: frozenset[str]
    active: bool


@dataclass(frozen=True)
class BusinessNumber:
    phone_number_id: str
    display_phone_number: str
    name: str
    team_ids: frozenset[str] = field(default_factory=frozenset)


class Leads(Protocol):
    async def get(self, lead_id: str) -> Lead | None: ...

    def add(self, lead: Lead) -> None:
        """A new lead, saved with the unit of work (as every lead it loaded: their pending events are appended on
        commit with an expected-version check, ``ConcurrentChange`` when another transaction appended first)."""

    def review_temperature(self, lead: Lead, at: datetime | None) -> None:
        """On commit, store when the lead's temperature should next be looked at (None: only on news)."""

    async def active_for_customer(self, account_id: str, customer: CustomerKeys) -> list[tuple[str, str, datetime]]: ...

    async def due_for_review(self, now: datetime, *, limit: int = 500) -> list[str]: ...


class Sagas(Protocol):
    async def lock_customer(self, account_id: str, customer: CustomerKeys) -> None: ...

    async def get(self, account_id: str, idempotency_key: str, *, for_update: bool = False) -> AddLeadSaga | None: ...

    async def start(self, saga: AddLeadSaga) -> bool: ...

    async def save(self, saga: AddLeadSaga, now: datetime) -> None: ...

    async def in_flight_elsewhere(
        self, account_id: str, customer: CustomerKeys, conversation_id: str, *, since: datetime
    ) -> bool: ...

    async def stale(self, older_than: datetime, *, limit: int = 100) -> list[tuple[str, str]]: ...

    async def for_claim(self, lead_id: str, conversation_id: str, agent_id: str) -> AddLeadSaga | None: ...


class Conflicts(Protocol):
    async def open_for_customer(self, account_id: str, customer: CustomerKeys) -> LeadConflict | None: ...

    async def add(self, conflict: LeadConflict, at: datetime) -> None: ...

    async def get_for_update(self, conflict_id: str) -> LeadConflict | None: ...

    async def save_resolution(self, conflict: LeadConflict, at: datetime) -> None: ...

    async def listed(self, account_id: str, *, status: str | None) -> list[LeadConflict]: ...


class Conversations(Protocol):
    async def get(self, conversation_id: str, *, for_update: bool = False) -> ConversationRecord | None: ...

    async def save(self, record: ConversationRecord, *, at: datetime | None) -> bool:
        """Keep ``record`` if it folds a later event than the one kept (False: another consumer's came first).

        ``at``: when the conversation was last active (None: the event was no activity; the kept time stays).
        In a consumer's lane the row is written when the lane commits, and a refusal fails that commit instead.
        """
        ...

    async def link(self, conversation_id: str, account_id: str, lead_id: str) -> None: ...

    async def of_lead(self, lead_id: str) -> list[ConversationRecord]: ...


class Directory(Protocol):
    async def unification(self, account_id: str) -> bool: ...

    async def team_names(self, account_id: str, team_ids: Sequence[str]) -> list[str]: ...

    async def agent(self, account_id: str, agent_id: str) -> DirectoryAgent | None: ...

    async def numbers_for_team(self, account_id: str, team_id: str) -> list[BusinessNumber]: ...

    async def save_settings(self, account_id: str, *, lead_unification: bool, process_type: int) -> None: ...

    async def save_team(self, account_id: str, team_id: str, name: str, active: bool) -> None: ...

    async def save_agent(self, account_id: str, agent: DirectoryAgent) -> None: ...

    async def save_number(self, account_id: str, number: BusinessNumber) -> None: ...


class UnitOfWork(Protocol):
    """One transaction over the leads database; leaving without ``commit`` rolls back."""

    leads: Leads
    sagas: Sagas
    conflicts: Conflicts
    conversations: Conversations
    directory: Directory
    published: list[Envelope]
    """What the last commit appended (and staged in the outbox)."""

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


UowFactory = Callable[[], UnitOfWork]
