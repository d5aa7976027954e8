"""Who is writing: one customer per person, whether WhatsApp names them by phone, by BSUID or both.

The rule, as the router's README states it ("Customer identity"):

1. the keys a fact carries (phone normalised to E.164, BSUID, parent BSUID) find the customers holding any of them;
2. a customer agrees with the fact unless it holds a *different* BSUID or parent BSUID;
3. agreeing customers are one person: the oldest id lives on, the others merge into it, it takes every key;
4. on disagreement the BSUID wins: the other customer keeps its BSUIDs and loses the keys the writer takes
   (in practice the phone: a phone belongs to the latest BSUID it came with);
5. nobody agrees: a new customer.

Pure: the adapter locks the keys, loads the holders, asks ``who_is_writing`` and stores the answer.

Seam for the second channel (Evolution API / WhatsApp Web, not built): a chat JID ``…@s.whatsapp.net`` is a phone,
``…@lid`` is a linked-device id without one (the phone, when known, in ``remoteJidAlt``). An Evolution adapter would
name the phone as ``phone`` and the ``@lid`` as one more BSUID-like key here (a ``lid`` field beside ``user_id``,
compared in ``contradicts`` like a BSUID, with its own unique index and lock name); nothing else changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class WhatsAppName:
    """How WhatsApp named the customer in one fact; the username is for display, never a key."""

    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    username: str | None = None

    @property
    def bsuid(self) -> str | None:
        """Where to write when there is no phone: the BSUID, else the parent BSUID."""
        return self.user_id or self.parent_user_id


@dataclass(frozen=True)
class CustomerKeys:
    """What identifies a customer in an account; each key belongs to at most one customer."""

    phone: str | None = None
    """E.164, Brazil's ninth digit restored: both forms of a mobile are one key."""
    user_id: str | None = None
    parent_user_id: str | None = None

    def __bool__(self) -> bool:
        return bool(self.phone or self.user_id or self.parent_user_id)

    def lock_names(self) -> list[str]:
        """One name per key, in a fixed order, for the locks that keep two deciders of one key apart."""
        named = (("phone", self.phone), ("bsuid", self.user_id), ("parent", self.parent_user_id))
        return sorted(f"{kind}:{value}" for kind, value in named if value)

    def shares_a_key_with(self, other: CustomerKeys) -> bool:
        return any(mine is not None and mine == theirs for mine, theirs in self._pairs(other))

    def contradicts(self, other: CustomerKeys) -> bool:
        """Two different BSUIDs (or parent BSUIDs) are two different WhatsApp users; a phone never contradicts."""
        return any(
            mine is not None and theirs is not None and mine != theirs
            for mine, theirs in ((self.user_id, other.user_id), (self.parent_user_id, other.parent_user_id))
        )

    def joined(self, other: CustomerKeys) -> CustomerKeys:
        """These keys completed by ``other``'s; where both have one, these win (the fact is the latest word)."""
        return CustomerKeys(
            self.phone or other.phone, self.user_id or other.user_id, self.parent_user_id or other.parent_user_id
        )

    def _pairs(self, other: CustomerKeys) -> tuple[tuple[str | None, str | None], ...]:
        return ((self.phone, other.phone), (self.user_id, other.user_id), (self.parent_user_id, other.parent_user_id))


@dataclass(frozen=True)
class KnownCustomer:
    customer_id: str
    keys: CustomerKeys
    first_seen_at: datetime
    seen_order: int = 0
    """Which was stored first, for customers first seen at the same instant."""

    @property
    def age(self) -> tuple[datetime, int, str]:
        """Oldest first: first seen, then stored, then (for a total order) the id."""
        return self.first_seen_at, self.seen_order, self.customer_id


@dataclass(frozen=True)
class Identified:
    """The answer for one fact: who writes, who turned out to be them, who loses a key to them."""

    customer_id: str
    is_new: bool
    keys: CustomerKeys
    """The writer's keys after this fact."""
    merged: tuple[str, ...] = ()
    """Customers that are the writer too: merged into ``customer_id`` (their keys, chats and lead move)."""
    losing_keys: tuple[str, ...] = ()
    """Customers with another BSUID that held a key the writer takes (a phone that changed hands)."""


def who_is_writing(keys: CustomerKeys, known: Sequence[KnownCustomer], *, new_id: str) -> Identified:
    """Apply the rule to a fact's ``keys``; ``known`` holds (at least) every customer holding one of them."""
    holders = [customer for customer in known if customer.keys.shares_a_key_with(keys)]

    def anchor_first(customer: KnownCustomer) -> tuple[int, datetime, int, str]:
        # the holder of the fact's parent BSUID, then of its BSUID, decide first: the BSUID wins
        rank = (
            0
            if keys.parent_user_id and customer.keys.parent_user_id == keys.parent_user_id
            else (1 if keys.user_id and customer.keys.user_id == keys.user_id else 2)
        )
        return rank, *customer.age

    together: list[KnownCustomer] = []
    writer_keys = keys
    for customer in sorted(holders, key=anchor_first):
        if not customer.keys.contradicts(writer_keys):
            together.append(customer)
            writer_keys = writer_keys.joined(customer.keys)
    losing = tuple(customer.customer_id for customer in holders if customer not in together)
    if not together:
        return Identified(new_id, True, keys, losing_keys=losing)
    survivor = min(together, key=lambda customer: customer.age)
    merged = tuple(customer.customer_id for customer in together if customer is not survivor)
    return Identified(survivor.customer_id, False, writer_keys, merged=merged, losing_keys=losing)


@dataclass(frozen=True)
class OpenInChat:
    conversation_id: str
    opened_at: datetime | None
    opened_order: int = 0
    """Which was opened first, for conversations opened at the same instant."""


def stays_open(mine: OpenInChat, theirs: OpenInChat) -> OpenInChat:
    """Two chats of one customer on one number both had an open conversation: the older stays the chat's.

    The other stays open where it is (its owner still answers and finishes it); the customer's next messages go
    to the one that stays. A conversation with no known opening time (older than the column) counts as oldest.
    """

    def age(candidate: OpenInChat) -> tuple[bool, datetime, int, str]:
        return (
            candidate.opened_at is not None,
            candidate.opened_at or datetime.min,
            candidate.opened_order,
            candidate.conversation_id,
        )

    return min(mine, theirs, key=age)
