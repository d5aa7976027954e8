"""The inbox rules as the product states them: statuses, who sees a conversation, who may answer."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum

from .agents import Account, Agent, BusinessNumber, ProcessType

SERVICE_WINDOW = timedelta(hours=24)


class ConversationStatus(StrEnum):
    """The inbox's filters: Nova, Não respondida, Sem retorno, Finalizada."""

    NEW = "new"
    UNANSWERED = "unanswered"
    NO_REPLY = "no_reply"
    FINISHED = "finished"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Origin(StrEnum):
    """Who wrote a message: the customer, an agent in leadline, or someone on the WhatsApp Business app."""

    CUSTOMER = "customer"
    AGENT = "agent"
    PHONE_ECHO = "phone_echo"


class OpenedBy(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    LEAD_OWNER = "lead_owner"


class Delivery(StrEnum):
    """Where an outgoing message is on its way to the customer, in the order it only moves forward."""

    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


DELIVERY_RANK: dict[str, int] = {delivery: rank for rank, delivery in enumerate(Delivery)}
NEW, UNANSWERED, NO_REPLY, FINISHED = ConversationStatus  # the names the rules below read best with


def status_after_message(
    current: str, *, direction: str, owned: bool, origin: str = Origin.CUSTOMER
) -> ConversationStatus:
    """New while it waits unclaimed in the pool; then Unanswered if the customer wrote last, No reply if the agent did.

    A message typed on the phone (an echo, ``origin == "phone_echo"``) into a conversation still waiting in the pool
    keeps it New (and its pool-wait alert due): someone at the dealership writing from the WhatsApp Business app has
    not taken it; only Add lead does. (An administrator answering from the pool through leadline does move it on.)
    """
    if current == NEW and not owned and (direction == Direction.INBOUND or origin == Origin.PHONE_ECHO):
        return NEW
    return UNANSWERED if direction == Direction.INBOUND else NO_REPLY


SEND_REQUEST_NAMESPACE = uuid.UUID("6f1c2a7e-3b4d-4c5e-9f80-1a2b3c4d5e6f")


def send_request_id(conversation_id: str, idempotency_key: str) -> str:
    """Sends are idempotent: the same client key on the same conversation is the same request (and message)."""
    return str(uuid.uuid5(SEND_REQUEST_NAMESPACE, f"{conversation_id}:{idempotency_key}"))


def agent_signed_text(agent_name: str, text: str) -> str:
    """Outgoing text carries the agent's name on its first line so the customer knows who is talking."""
    return f"*{agent_name}:*\n{text}"


def service_window_applies(number: BusinessNumber | None) -> bool:
    """WhatsApp's 24-hour window (and its templates) bind the Cloud API only: a WhatsApp Web (Evolution) number writes
    free text at any time and has no templates. A number the account does not name is taken as the Cloud API."""
    return number is None or number.has_templates_and_service_window


def within_service_window(last_customer_message_at: datetime | None, now: datetime) -> bool:
    """WhatsApp's 24-hour customer-service window: free text only within 24 h of the customer's last message."""
    return last_customer_message_at is not None and now - last_customer_message_at < SERVICE_WINDOW


def service_window_closes_at(last_customer_message_at: datetime | None) -> datetime | None:
    """When free text stops being allowed: 24 h after the customer last wrote (None: they never wrote)."""
    return last_customer_message_at + SERVICE_WINDOW if last_customer_message_at is not None else None


def service_window(
    last_customer_message_at: datetime | None, now: datetime, *, applies: bool = True
) -> dict[str, object]:
    """The window as the page shows it: whether free text may be sent now, and until when; ``applies`` False on a
    number without the window (always open, no templates, nothing to show)."""
    if not applies:
        return {"applies": False, "open": True, "closes_at": None}
    closes = service_window_closes_at(last_customer_message_at)
    return {
        "applies": True,
        "open": closes is not None and now < closes,
        "closes_at": closes.isoformat() if closes else None,
    }


def delivery_moves_forward(current: str, new: str) -> bool:
    return DELIVERY_RANK.get(new, -1) > DELIVERY_RANK.get(current, -1)


def pool_wait_exceeded(opened_at: datetime, now: datetime, threshold_seconds: int) -> bool:
    return (now - opened_at).total_seconds() > threshold_seconds


def team_for_claim(agent: Agent, pool_team_ids: frozenset[str] | tuple[str, ...]) -> str | None:
    """The agent's team whose pool holds the conversation (None: it is not in any of the agent's pools)."""
    shared = sorted(agent.team_ids & frozenset(pool_team_ids))
    return shared[0] if shared else None


def may_see(
    agent: Agent,
    *,
    owner_id: str | None,
    pool_team_ids: frozenset[str],
    collaborator_ids: frozenset[str],
    account: Account,
) -> bool:
    """Pool: every agent of the teams linked to the number. Claimed: only its owner (and in process-2 accounts the
    lead's attendant and seller). Admins see everything in their account."""
    if agent.is_admin:
        return True
    if owner_id is None:
        return bool(agent.team_ids & pool_team_ids)
    if agent.id == owner_id:
        return True
    return account.settings.process_type == ProcessType.OWNER_AND_ATTENDANT and agent.id in collaborator_ids


def may_answer(
    agent: Agent, *, owner_id: str | None, owner_can_send: bool, collaborator_ids: frozenset[str], account: Account
) -> bool:
    """Who writes to the customer in a conversation: its owner (when their team is linked to the number); in Processo 2
    also whoever held it and passed it on (the attendant who took the customer and handed the lead to a seller keeps
    the conversation: "os atendentes e vendedores terão acesso às conversas e poderão conversar com o lead");
    administrators always. Nobody before someone takes it (Add lead)."""
    if agent.is_admin:
        return True
    if owner_id is None:
        return False
    if agent.id == owner_id:
        return owner_can_send
    return account.settings.process_type == ProcessType.OWNER_AND_ATTENDANT and agent.id in collaborator_ids


def may_claim(
    agent: Agent,
    *,
    owner_id: str | None,
    pool_team_ids: frozenset[str],
    collaborator_ids: frozenset[str],
    was_in_pool: bool,
    account: Account,
) -> bool:
    """Whoever may see it, or saw it in their pool (a late claim is told the owner, not that it vanished).
    A conversation that never waited in a pool stays invisible to everyone else: no existence leak via 409."""
    if may_see(
        agent, owner_id=owner_id, pool_team_ids=pool_team_ids, collaborator_ids=collaborator_ids, account=account
    ):
        return True
    return was_in_pool and bool(agent.team_ids & pool_team_ids)
