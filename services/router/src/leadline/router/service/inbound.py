"""Handlers for what WhatsApp told us (via ingest): customer messages, phone echoes, delivery progress.

Each is given an open unit of work by the consumer (which checks the inbox, commits, and decides again after a
concurrent change); the chat row is locked so a burst of messages is decided one at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

import structlog

from leadline.events import (
    Envelope,
    MessageEchoedV2,
    MessageReceivedV2,
    MessageSendFailedV1,
    MessageSentV1,
    MessageStatusChangedV2,
)
from leadline.platform.optimistic import decide_again_on

from ..domain.agents import Account
from ..domain.conversation import Conversation
from ..domain.errors import ConcurrentChange
from ..domain.events import AgentRef
from .identity import Normalize, identify_customer, shared_on_request, whatsapp_name
from .ports import Chat, Customer, UnitOfWork

log = structlog.get_logger(__name__)
MESSAGE_NAMESPACE = uuid.UUID("0b6a2f52-8e1d-4c3b-a7f9-5d4e3c2b1a09")
T = TypeVar("T")
UowFactory = Callable[[], UnitOfWork]
"""A fresh unit of work (its own transaction): what HTTP commands and background loops open."""
Clock = Callable[[], datetime]


def message_id_for(wamid: str) -> str:
    """A WhatsApp message keeps one id in leadline, whoever derives it."""
    return str(uuid.uuid5(MESSAGE_NAMESPACE, wamid))


async def retrying(attempt: Callable[[], Awaitable[T]], *, attempts: int = 8) -> T:
    """Optimistic concurrency: on a concurrent change, load again and decide again."""
    return await decide_again_on(ConcurrentChange, attempt, attempts=attempts)


async def _open_for_customer(
    uow: UnitOfWork, account: Account, chat: Chat, message: MessageReceivedV2, customer: Customer, *, now: datetime
) -> Conversation:
    """A customer with no open conversation: to the lead's owner when their team is linked to the number, else the pool."""
    team_ids = account.teams_linked_to(message.phone_number_id)
    owner, opened_by = None, "customer"
    lead_owner = await uow.lead_owners.get(chat.lead_id) if chat.lead_id else None
    if lead_owner is not None and lead_owner.team_id in team_ids:
        owner, opened_by = AgentRef(lead_owner.owner_id, lead_owner.owner_name), "lead_owner"
    number = account.numbers.get(message.phone_number_id)
    conversation = Conversation.open(
        str(uuid.uuid4()),
        account.id,
        phone_number_id=message.phone_number_id,
        business_display_number=number.display_number if number else message.display_phone_number,
        customer=whatsapp_name(message.customer),
        customer_id=customer.customer_id,
        customer_phone=customer.keys.phone,
        customer_display_name=message.customer_display_name,
        team_ids=team_ids,
        owner=owner,
        lead_id=chat.lead_id if owner or chat.lead_id else None,
        opened_by=opened_by,
        at=now,
    )
    await uow.chats.open_conversation(chat, conversation.id, now)
    uow.conversations.add(conversation)
    log.info("conversation opened", conversation_id=conversation.id, opened_by=opened_by, pool_teams=sorted(team_ids))
    return conversation


async def receive_customer_message(
    work: UnitOfWork, envelope: Envelope, message: MessageReceivedV2, *, clock: Clock, normalize: Normalize
) -> None:
    """The customer's message joins their chat's open conversation, or opens one; whatever way WhatsApp named them.

    A contact card sent by tapping "request contact info" names their number: it links to their BSUID here.
    """
    shared, shared_wa_id = shared_on_request(message.content.model_dump(mode="json"))
    name = whatsapp_name(message.customer)
    if name.wa_id is None and shared_wa_id:
        name = replace(name, wa_id=shared_wa_id)
    account_id = await work.accounts.account_of_number(message.phone_number_id) or envelope.account_id
    account = await work.accounts.account(account_id)
    now = clock()
    customer = await identify_customer(work, account_id, name, normalize=normalize, at=now, phone=shared)
    chat = await work.chats.get_for_update(account_id, message.phone_number_id, customer.customer_id)
    conversation = (
        await work.conversations.get(chat.open_conversation_id, about_messages=[message.wamid])
        if chat.open_conversation_id
        else await _open_for_customer(work, account, chat, message, customer, now=now)
    )
    conversation.receive_customer_message(
        message_id=message_id_for(message.wamid),
        wamid=message.wamid,
        content=message.content.model_dump(mode="json"),
        sent_at=message.sent_at,
        at=now,
    )
    await work.chats.customer_wrote(chat, message.sent_at)


async def record_phone_echo(
    work: UnitOfWork, envelope: Envelope, echo: MessageEchoedV2, *, clock: Clock, normalize: Normalize
) -> None:
    """A message sent from the WhatsApp Business app joins the open conversation (history keeps it too)."""
    account_id = await work.accounts.account_of_number(echo.phone_number_id) or envelope.account_id
    customer = await identify_customer(work, account_id, whatsapp_name(echo.customer), normalize=normalize, at=clock())
    chat = await work.chats.get_for_update(account_id, echo.phone_number_id, customer.customer_id)
    if chat.open_conversation_id is None:
        log.info("phone echo with no open conversation kept by ingest only", wamid=echo.wamid)
        return
    conversation = await work.conversations.get(chat.open_conversation_id, about_messages=[echo.wamid])
    conversation.record_phone_echo(
        message_id=message_id_for(echo.wamid),
        wamid=echo.wamid,
        content=echo.content.model_dump(mode="json"),
        sent_at=echo.sent_at,
        at=clock(),
    )


async def record_send_result(
    work: UnitOfWork, result: MessageSentV1 | MessageSendFailedV1, *, clock: Clock, normalize: Normalize
) -> None:
    """The message is sent (or failed); WhatsApp's statuses of it that came first are applied now."""
    conversation = await work.conversations.get(str(result.conversation_id), about_messages=[str(result.request_id)])
    if conversation is None:
        return
    failed = result.explanation if isinstance(result, MessageSendFailedV1) else None
    wamid = result.wamid if isinstance(result, MessageSentV1) else None
    conversation.record_send_result(request_id=str(result.request_id), wamid=wamid, failed=failed, at=clock())
    if wamid is not None:
        await work.early_statuses.lock(wamid)
        for status in await work.early_statuses.take(wamid):
            await apply_delivery_status(work, conversation, status, clock=clock, normalize=normalize)


async def record_delivery_status(
    work: UnitOfWork,
    status: MessageStatusChangedV2,
    *,
    clock: Clock,
    conversation_of_wamid: Callable[[UnitOfWork, str], Awaitable[str | None]],
    normalize: Normalize,
) -> None:
    """Delivery moves forward; a status of a message whose send result has not come yet waits for it (statuses come
    on the chat's lane, send results on the conversation's, so a status can be decided first)."""
    conversation_id = await conversation_of_wamid(work, status.wamid)
    if conversation_id is None:
        await work.early_statuses.lock(status.wamid)  # the send result's lane takes it too: one of us sees the other
        conversation_id = await conversation_of_wamid(work, status.wamid)
    if conversation_id is None:  # not sent yet as far as the router knows, or sent outside leadline
        await work.early_statuses.keep(status)
        return
    conversation = await work.conversations.get(conversation_id, about_messages=[status.wamid])
    if conversation is not None:
        await apply_delivery_status(work, conversation, status, clock=clock, normalize=normalize)


async def apply_delivery_status(
    work: UnitOfWork, conversation: Conversation, status: MessageStatusChangedV2, *, clock: Clock, normalize: Normalize
) -> None:
    """A status that names the recipient's phone and BSUID together links them."""
    await identify_customer(
        work, conversation.account_id, whatsapp_name(status.customer), normalize=normalize, at=clock()
    )
    error = status.errors[0].title if status.errors else None
    conversation.record_delivery(wamid=status.wamid, status=status.status.value, error=error, at=clock())
