"""Handlers for the state of messages' media: ingest stored a file or gave up on it; an agent asks for it again.

The state lives on the message (``content["media"]``) through ``router.conversation.message_media_updated``, so
the inbox, the live feed and history all see the same thing: being fetched, stored, or not available (and why).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from leadline.events import MediaFetchFailedV2, MediaStoredV2

from ..domain.agents import Agent
from .commands import _visible_conversation
from .inbound import Clock, UowFactory, retrying
from .ports import UnitOfWork

log = structlog.get_logger(__name__)
ConversationOfWamid = Callable[[UnitOfWork, str], Awaitable[str | None]]


async def record_media_outcome(
    work: UnitOfWork,
    outcome: MediaStoredV2 | MediaFetchFailedV2,
    *,
    clock: Clock,
    conversation_of_wamid: ConversationOfWamid,
) -> None:
    """The message whose media ingest fetched shows our copy, or says it is not available and why."""
    conversation_id = await conversation_of_wamid(work, outcome.wamid)
    conversation = (
        await work.conversations.get(conversation_id, about_messages=[outcome.wamid]) if conversation_id else None
    )
    if conversation is None:  # a phone echo no conversation took: ingest keeps it alone
        return
    if isinstance(outcome, MediaStoredV2):
        conversation.record_media_stored(
            wamid=outcome.wamid, stored=outcome.stored.model_dump(mode="json"), mime_type=outcome.mime_type, at=clock()
        )
    else:
        conversation.record_media_fetch_failed(
            wamid=outcome.wamid,
            reason=outcome.reason,
            error_code=outcome.error_code,
            retryable=outcome.retryable,
            at=clock(),
        )


async def retry_media_fetch(
    conversation_id: str, message_id: str, agent: Agent, *, account_id: str, uow: UowFactory, clock: Clock
) -> None:
    """An agent who may see the conversation asks WhatsApp for a file again; the message shows it loading meanwhile."""

    async def attempt() -> None:
        async with uow() as work:
            account = await work.accounts.account(account_id)
            conversation = await _visible_conversation(
                work, conversation_id, agent, account, about_messages=[message_id]
            )
            conversation.retry_media_fetch(agent, message_id=message_id, at=clock())
            await work.commit()
        log.info("media fetch requested again", conversation_id=conversation_id, message_id=message_id)

    await retrying(attempt)
