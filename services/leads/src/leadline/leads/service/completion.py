"""How an Add lead saga ends: completed (the lead published) or abandoned, whoever gets there first.

The request that started it and the recovery loop may both try to end a pending saga, and the router's
own claim event revives one recovery abandoned as unclaimed; each locks the saga row and acts only if
it is still open, so it ends once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from ..domain.events import ConversionPoint
from ..domain.lead import MERGED, Lead
from ..domain.saga import AbandonReason, AddLeadSaga, SagaState
from ..domain.temperature import TemperatureRules
from .common import reassess, retrying
from .ports import Clock, ConversationRecord, RouterConversation, RouterMessage, UnitOfWork, UowFactory

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SagaOutcome:
    lead_id: str
    conversation_id: str
    attached: bool
    """True when the conversation joined the customer's existing lead instead of making a new one."""

    @classmethod
    def of(cls, saga: AddLeadSaga) -> SagaOutcome:
        return cls(saga.lead_id, saga.conversation_id, saga.attaches)


def conversion_point(
    conversation_id: str, conversation: RouterConversation | None, messages: Sequence[RouterMessage]
) -> ConversionPoint | None:
    """Where the lead came from: the business number and the customer's first message (None if there is none)."""
    first = next((m for m in messages if m.direction == "inbound"), None)
    if conversation is None or first is None:
        return None
    return ConversionPoint(
        conversation_id,
        conversation.phone_number_id,
        conversation.business_display_number,
        first.kind,
        first.text,
        first.sent_at,
    )


def point_from_record(record: ConversationRecord | None) -> ConversionPoint | None:
    """The same, from what the router's topic told us (the recovery and claim-event paths)."""
    if record is None or record.first_message_at is None or record.phone_number_id is None:
        return None
    return ConversionPoint(
        record.conversation_id,
        record.phone_number_id,
        record.business_display_number or "",
        record.first_message_kind or "unsupported",
        record.first_message_text,
        record.first_message_at,
    )


async def lead_to_attach_to(work: UnitOfWork, lead_id: str) -> Lead:
    lead = await work.leads.get(lead_id)
    while lead is not None and lead.status == MERGED and lead.merged_into:  # unified meanwhile: follow the survivor
        lead = await work.leads.get(lead.merged_into)
    assert lead is not None, f"lead {lead_id} to attach to is missing"
    return lead


async def complete_saga(
    saga: AddLeadSaga,
    point: ConversionPoint | None,
    *,
    uow: UowFactory,
    clock: Clock,
    rules: TemperatureRules,
) -> SagaOutcome:
    """Step 3a: one transaction publishes the lead (or the attachment) and marks the saga created.

    **The saver becomes responsible**: a conversation attached to the customer's lead makes whoever saved it the
    lead's responsible agent (a transfer, in the lead's timeline, when someone else was), so the conversation's owner
    and the lead's responsible agent never differ and the customer's next conversation goes to the same person.
    The Add lead form says so before saving (``add_lead.outlook``).
    """

    async def attempt() -> AddLeadSaga:
        async with uow() as work:
            done = await complete_in(work, saga, point, clock=clock, rules=rules)
            await work.commit()
            return done

    return SagaOutcome.of(await retrying(attempt))


async def complete_in(
    work: UnitOfWork,
    saga: AddLeadSaga,
    point: ConversionPoint | None,
    *,
    clock: Clock,
    rules: TemperatureRules,
) -> AddLeadSaga:
    """``complete_saga`` in a unit of work someone else commits (the router's claim event, in its consumer's batch)."""
    current = await work.sagas.get(saga.account_id, saga.idempotency_key, for_update=True)
    assert current is not None
    if current.state is SagaState.CREATED:
        return current
    now = clock()
    found = point or point_from_record(await work.conversations.get(current.conversation_id))
    if current.attaches:
        lead = await lead_to_attach_to(work, current.lead_id)
        lead.attach_conversation(current.conversation_id, found, at=now)
        lead.transfer(current.agent, current.team_id, at=now)  # the saver answers the customer: theirs now
    else:
        lead = Lead.create(
            current.lead_id,
            current.account_id,
            details=current.details,
            responsible=current.agent,
            team_id=current.team_id,
            conversation_id=current.conversation_id,
            idempotency_key=current.idempotency_key,
            point=found,
            at=now,
        )
        work.leads.add(lead)
    await work.conversations.link(current.conversation_id, current.account_id, lead.id)
    assessment = await reassess(work, lead, now, rules)
    work.leads.review_temperature(lead, assessment.review_at)
    done = current.completed()
    await work.sagas.save(done, now)
    log.info(
        "lead created" if not done.attaches else "conversation attached to lead",
        lead_id=lead.id,
        conversation_id=done.conversation_id,
        agent_id=done.agent.id,
    )
    return done


async def abandon_saga(
    saga: AddLeadSaga, reason: AbandonReason, refusal: dict[str, str] | None, *, uow: UowFactory, clock: Clock
) -> AddLeadSaga:
    """Step 3b: the claim went elsewhere; nothing was published and nothing will be. Returns the saga as it ends."""
    async with uow() as work:
        current = await work.sagas.get(saga.account_id, saga.idempotency_key, for_update=True)
        assert current is not None
        if current.state is SagaState.CREATED or (
            current.state is SagaState.ABANDONED and current.abandon_reason is not AbandonReason.UNCLAIMED
        ):
            return current
        ended = current.abandoned(reason, refusal)
        await work.sagas.save(ended, clock())
        await work.commit()
    log.info("add lead abandoned", lead_id=ended.lead_id, reason=reason.value, conversation_id=ended.conversation_id)
    return ended
