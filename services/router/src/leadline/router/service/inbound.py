"""Handlers for what WhatsApp told us (via ingest): customer messages, phone echoes, delivery progress.

Each is one transaction: the inbox records the event id with the effect, the chat row is locked so a
burst of messages is decided one at a time, and the conversation's new events go to the outbox.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import structlog

from leadline.events import (
    Envelope, MessageEchoedV1, MessageReceivedV1, MessageSendFailedV1, MessageSentV1, MessageStatusChangedV1,
)
from leadline.platform.optimistic import decide_again_on

from ..domain.agents import Account
from ..domain.conversation import Conversation
from ..domain.errors import ConcurrentChange
from ..domain.events import AgentRef
from .ports import Chat, UnitOfWork

log = structlog.get_logger(__name__)
CONSUMER = "router-whatsapp"
MESSAGE_NAMESPACE = uuid.UUID("0b6a2f52-8e1d-4c3b-a7f9-5d4e3c2b1a09")
T = TypeVar("T")
UowFactory = Callable[[], UnitOfWork]
Clock = Callable[[], datetime]
Normalize = Callable[[str], str]


def customer_phone_of(wa_id: str, normalize: Normalize) -> str:
    """One person, one contact: the normalised number; a WhatsApp id the numbering plans do not know is still
    a real WhatsApp account, kept as its digits rather than refused (refusing would lose the message)."""
    try:
        return normalize(wa_id)
    except ValueError:
        log.warning("customer number kept as WhatsApp gave it", wa_id=wa_id)
        return f"+{wa_id}"


def message_id_for(wamid: str) -> str:
    """A WhatsApp message keeps one id in leadline, whoever derives it."""
    return str(uuid.uuid5(MESSAGE_NAMESPACE, wamid))


async def retrying(attempt: Callable[[], Awaitable[T]], *, attempts: int = 8) -> T:
    """Optimistic concurrency: on a concurrent change, load again and decide again."""
    return await decide_again_on(ConcurrentChange, attempt, attempts=attempts)


async def _open_for_customer(uow: UnitOfWork, account: Account, chat: Chat, message: MessageReceivedV1, *,
                             normalize: Normalize, now: datetime) -> Conversation:
    """A customer with no open conversation: to the lead's owner when their team is linked to the number, else the pool."""
    team_ids = account.teams_linked_to(message.phone_number_id)
    owner, opened_by = None, "customer"
    lead_owner = await uow.lead_owners.get(chat.lead_id) if chat.lead_id else None
    if lead_owner is not None and lead_owner.team_id in team_ids:
        owner, opened_by = AgentRef(lead_owner.owner_id, lead_owner.owner_name), "lead_owner"
    number = account.numbers.get(message.phone_number_id)
    conversation = Conversation.open(
        str(uuid.uuid4()), account.id, phone_number_id=message.phone_number_id,
        business_display_number=number.display_number if number else message.display_phone_number,
        customer_wa_id=message.customer_wa_id, customer_phone=customer_phone_of(message.customer_wa_id, normalize),
        customer_display_name=message.customer_display_name, team_ids=team_ids, owner=owner,
        lead_id=chat.lead_id if owner or chat.lead_id else None, opened_by=opened_by, at=now,
    )
    await uow.chats.open_conversation(chat, conversation.id)
    log.info("conversation opened", conversation_id=conversation.id, opened_by=opened_by, pool_teams=sorted(team_ids))
    return conversation


async def receive_customer_message(envelope: Envelope, message: MessageReceivedV1, *, uow: UowFactory, clock: Clock,
                                   normalize: Normalize) -> list[Envelope]:
    async def attempt() -> list[Envelope]:
        async with uow() as work:
            if not await work.first_delivery(CONSUMER, envelope.event_id):
                return []
            account_id = await work.accounts.account_of_number(message.phone_number_id) or envelope.account_id
            account = await work.accounts.account(account_id)
            chat = await work.chats.get_for_update(account_id, message.phone_number_id, message.customer_wa_id)
            now = clock()
            conversation = (await work.conversations.get(chat.open_conversation_id) if chat.open_conversation_id
                            else await _open_for_customer(work, account, chat, message, normalize=normalize, now=now))
            conversation.receive_customer_message(
                message_id=message_id_for(message.wamid), wamid=message.wamid,
                content=message.content.model_dump(mode="json"), sent_at=message.sent_at, at=now,
            )
            await work.chats.customer_wrote(chat, message.sent_at)
            published = await work.conversations.add(conversation, causation=envelope)
            await work.outbox.stage(published)
            await work.commit()
            return published

    return await retrying(attempt)


async def record_phone_echo(envelope: Envelope, echo: MessageEchoedV1, *, uow: UowFactory, clock: Clock) -> list[Envelope]:
    """A message sent from the WhatsApp Business app joins the open conversation (history keeps it too)."""
    async def attempt() -> list[Envelope]:
        async with uow() as work:
            if not await work.first_delivery(CONSUMER, envelope.event_id):
                return []
            account_id = await work.accounts.account_of_number(echo.phone_number_id) or envelope.account_id
            chat = await work.chats.get_for_update(account_id, echo.phone_number_id, echo.customer_wa_id)
            if chat.open_conversation_id is None:
                log.info("phone echo with no open conversation kept by ingest only", wamid=echo.wamid)
                await work.commit()
                return []
            conversation = await work.conversations.get(chat.open_conversation_id)
            conversation.record_phone_echo(message_id=message_id_for(echo.wamid), wamid=echo.wamid,
                                           content=echo.content.model_dump(mode="json"), sent_at=echo.sent_at, at=clock())
            published = await work.conversations.add(conversation, causation=envelope)
            await work.outbox.stage(published)
            await work.commit()
            return published

    return await retrying(attempt)


async def record_send_result(envelope: Envelope, result: MessageSentV1 | MessageSendFailedV1, *, uow: UowFactory,
                             clock: Clock) -> list[Envelope]:
    async def attempt() -> list[Envelope]:
        async with uow() as work:
            if not await work.first_delivery(CONSUMER, envelope.event_id):
                return []
            conversation = await work.conversations.get(str(result.conversation_id))
            if conversation is None:
                await work.commit()
                return []
            failed = result.explanation if isinstance(result, MessageSendFailedV1) else None
            wamid = result.wamid if isinstance(result, MessageSentV1) else None
            conversation.record_send_result(request_id=str(result.request_id), wamid=wamid, failed=failed, at=clock())
            published = await work.conversations.add(conversation, causation=envelope)
            await work.outbox.stage(published)
            await work.commit()
            return published

    return await retrying(attempt)


async def record_delivery_status(envelope: Envelope, status: MessageStatusChangedV1, *, uow: UowFactory,
                                 clock: Clock, conversation_of_wamid: Callable[[UnitOfWork, str], Awaitable[str | None]]) -> list[Envelope]:
    async def attempt() -> list[Envelope]:
        async with uow() as work:
            if not await work.first_delivery(CONSUMER, envelope.event_id):
                return []
            conversation_id = await conversation_of_wamid(work, status.wamid)
            conversation = await work.conversations.get(conversation_id) if conversation_id else None
            if conversation is None:  # a status for a message sent outside leadline, or not yet known
                await work.commit()
                return []
            error = status.errors[0].title if status.errors else None
            conversation.record_delivery(wamid=status.wamid, status=status.status.value, error=error, at=clock())
            published = await work.conversations.add(conversation, causation=envelope)
            await work.outbox.stage(published)
            await work.commit()
            return published

    return await retrying(attempt)
