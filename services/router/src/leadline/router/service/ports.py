"""What router handlers need from the outside world, as Protocols (adapters implement them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from leadline.events import MessageStatusChangedV2
from leadline.events.envelope import Envelope

from ..domain.agents import Account, Agent
from ..domain.conversation import Conversation
from ..domain.identity import CustomerKeys, Identified, WhatsAppName


class AccountDirectory(Protocol):
    """The account's integration configuration: numbers and their teams, agents, settings."""

    async def account(self, account_id: str) -> Account: ...

    async def agent(self, account_id: str, agent_id: str) -> Agent | None: ...

    async def account_of_number(self, phone_number_id: str) -> str | None: ...


@dataclass(frozen=True)
class ClaimState:
    """Who owns a conversation, as committed (read from the projection, written with the events)."""

    account_id: str
    owner_id: str | None
    owner_name: str | None
    pool_team_ids: frozenset[str]
    collaborator_ids: frozenset[str]
    was_in_pool: bool


@dataclass(frozen=True)
class CommittedClaim:
    """A conversation's committed claim state with its account as configured now, and whether another claimer holds
    its claim turn (is deciding it) at the moment of the read."""

    state: ClaimState
    account: Account
    being_decided: bool = False


class ClaimGate(Protocol):
    """Claims answered without a unit of work: each read is one statement of its own."""

    async def committed(self, conversation_id: str, account_id: str) -> CommittedClaim | None:
        """The claim state as committed; None when there is no such conversation (or not yet in the view)."""

    def deciding(self, conversation_id: str) -> AbstractAsyncContextManager[bool]:
        """Whether this claimer may decide: False while another claim of the conversation is being decided in this
        process (then ``after_claim_turn`` waits for it without asking the database)."""

    async def after_claim_turn(self, conversation_id: str, account_id: str) -> CommittedClaim | None:
        """Wait until the claimer holding the conversation's claim turn (``UnitOfWork.take_claim_turn``) has ended
        its transaction, committed or not; then ``committed``. Waiters do not queue behind one another."""


class Conversations(Protocol):
    async def get(self, conversation_id: str, *, about_messages: Iterable[str] | None = None) -> Conversation | None:
        """The conversation, loaded at a cost that does not grow with its history.

        It knows the facts (WhatsApp ids, delivery, media, send requests) of ``about_messages`` only: the message
        ids or WhatsApp ids a decision is about; None, of every message (that load grows with the conversation).
        """

    def add(self, conversation: Conversation) -> None:
        """A new conversation, saved with the unit of work (as every one it loaded: their pending events are
        appended on commit with an expected-version check, ``ConcurrentChange`` when another transaction won)."""


@dataclass(frozen=True)
class Customer:
    """One person in an account, however WhatsApp names them (``domain/identity.py``)."""

    customer_id: str
    keys: CustomerKeys
    wa_id: str | None = None
    """The phone as WhatsApp last spelled it; None when the phone came from an agent or is unknown."""
    username: str | None = None

    @property
    def whatsapp_name(self) -> WhatsAppName:
        """Who to write to: the phone when known (as WhatsApp spells it, else the number's digits), else the BSUID."""
        wa_id = self.wa_id or (self.keys.phone.removeprefix("+") if self.keys.phone else None)
        return WhatsAppName(
            wa_id=wa_id, user_id=self.keys.user_id, parent_user_id=self.keys.parent_user_id, username=self.username
        )


@dataclass(frozen=True)
class CustomerFound:
    customer: Customer
    decision: Identified


class Customers(Protocol):
    async def identify(
        self, account_id: str, keys: CustomerKeys, *, wa_id: str | None, username: str | None, at: datetime
    ) -> CustomerFound:
        """Lock the keys, apply ``who_is_writing`` and store its answer (new, linked, merged, keys taken).

        Raises ``ConcurrentChange`` when a concurrent decision stored a key first (the handler decides again).
        """

    async def current(self, account_id: str, customer_id: str) -> Customer | None:
        """The customer, or the one it was merged into."""

    async def keep_photo(self, customer_id: str, photo: CustomerPhoto | None, *, changed_at: datetime) -> bool:
        """Their profile photo now (None: removed or hidden); a change older than the one kept is ignored (False)."""


@dataclass(frozen=True)
class CustomerPhoto:
    """A customer's WhatsApp profile photo in the media store."""

    key: str
    sha256: str


@dataclass(frozen=True)
class Chat:
    account_id: str
    phone_number_id: str
    customer_id: str
    open_conversation_id: str | None
    last_conversation_id: str | None
    last_customer_message_at: datetime | None
    lead_id: str | None


@dataclass(frozen=True)
class LeadOwner:
    lead_id: str
    owner_id: str
    owner_name: str
    team_id: str


class Chats(Protocol):
    async def get_for_update(self, account_id: str, phone_number_id: str, customer_id: str) -> Chat: ...

    async def open_conversation(self, chat: Chat, conversation_id: str, opened_at: datetime) -> None:
        """Mark the chat's open conversation; the database refuses a second one (one open per chat)."""

    async def close_conversation(self, conversation_id: str) -> None: ...

    async def customer_wrote(self, chat: Chat, at: datetime) -> None: ...

    async def attach_lead(self, account_id: str, phone_number_id: str, customer_id: str, lead_id: str) -> None: ...

    async def last_customer_message_at(
        self, account_id: str, phone_number_id: str, customer_id: str
    ) -> datetime | None: ...

    async def merge_customer(self, account_id: str, merged_id: str, *, into: str) -> list[str]:
        """Move the merged customer's chats to ``into``, number by number; returns the conversations left detached."""


class LeadOwners(Protocol):
    async def get(self, lead_id: str) -> LeadOwner | None: ...

    async def set(self, account_id: str, owner: LeadOwner) -> None: ...

    async def set_if_unknown(self, account_id: str, owner: LeadOwner) -> None: ...

    async def set_temperature(self, lead_id: str, temperature: str) -> None: ...


class NumberConnections(Protocol):
    async def keep(
        self, account_id: str, phone_number_id: str, connection: str, *, needs_qr_code: bool, at: datetime
    ) -> bool:
        """The number's WhatsApp Web session state, unless a newer one is kept (then False)."""


class EarlyStatuses(Protocol):
    """Delivery statuses that came before their message's send result, kept until it comes."""

    async def lock(self, wamid: str) -> None:
        """The wamid's turn, held to the end of the transaction: a status and its send result decided at once see
        each other's commit."""

    async def keep(self, status: MessageStatusChangedV2) -> None: ...

    async def take(self, wamid: str) -> list[MessageStatusChangedV2]:
        """The wamid's kept statuses, no longer kept."""


class Outbox(Protocol):
    async def stage(self, envelopes: Sequence[Envelope]) -> None: ...


class UnitOfWork(Protocol):
    """One transaction over the router database; leaving without ``commit`` rolls back."""

    conversations: Conversations
    customers: Customers
    chats: Chats
    lead_owners: LeadOwners
    number_connections: NumberConnections
    early_statuses: EarlyStatuses
    accounts: AccountDirectory
    published: list[Envelope]
    """What the last commit appended (and staged in the outbox)."""

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...

    async def take_claim_turn(self, conversation_id: str) -> bool:
        """The turn to decide the conversation's claim, held to the end of this transaction; False while another
        claimer holds it: of claimers racing for an unowned conversation, one decides, the others wait for it
        (``ClaimGate.after_claim_turn``) instead of loading, appending in vain and retrying."""
