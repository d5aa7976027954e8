"""A conversation's state as plain values: what the aggregate gives to be kept, and takes back instead of a fold.

The state is split in two so that loading costs the same at the 20th event and the 20,000th: the
``ConversationState`` (who owns it, its status, pools) is bounded, and what grows with every message is
kept per message (``MessageFacts``), to be read only for the messages a decision is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .events import AgentRef, ConversationOpened
from .rules import ConversationStatus, Delivery


@dataclass(frozen=True)
class ConversationState:
    """Everything but the per-message facts, as of ``version`` (the stream's last event folded in)."""

    version: int
    opened: ConversationOpened | None
    status: ConversationStatus
    owner: AgentRef | None
    owner_team_id: str | None
    owner_can_send: bool
    pool_team_ids: frozenset[str]
    collaborator_ids: frozenset[str]
    lead_id: str | None
    pool_wait_alerted: bool
    was_in_pool: bool


@dataclass(frozen=True)
class MessageFacts:
    """What the conversation remembers of one message: enough to deduplicate it, follow its delivery, show its media.

    ``wamid``: the WhatsApp id it was appended with (a redelivery of it is ignored); ``sent_as``: the WhatsApp id
    a send or status named later (an agent's message is appended before WhatsApp names it); ``requested``: an
    agent's send (its idempotency key made the message id).
    """

    message_id: str
    wamid: str | None = None
    sent_as: str | None = None
    delivery: Delivery | None = None
    requested: bool = False
    media: dict[str, Any] | None = None
