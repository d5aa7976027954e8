"""Handlers for what the leads service tells the router: who owns a lead, transfers of it, and its temperature.

Transfer rule: ownership of the lead's open conversations follows the lead; to a team not linked to the
conversation's business number, the new owner reads the history but cannot send (the conversation says so).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from leadline.events import Envelope, LeadCreatedV2, LeadTemperatureChangedV1, LeadTransferredV1

from ..domain.events import AgentRef
from .inbound import Clock, UowFactory, retrying
from .ports import LeadOwner, UnitOfWork

CONSUMER = "router-leads"
ConversationsOfLead = Callable[[UnitOfWork, str], Awaitable[list[str]]]


async def remember_lead_owner(envelope: Envelope, lead: LeadCreatedV2, *, uow: UowFactory) -> None:
    """A new lead: its owner is who the customer's next conversation goes to."""
    async with uow() as work:
        if not await work.first_delivery(CONSUMER, envelope.event_id):
            return
        agent = lead.responsible_agent
        await work.lead_owners.set(
            envelope.account_id, LeadOwner(str(lead.lead_id), agent.id, agent.name, lead.team_id)
        )
        await work.commit()


async def remember_lead_temperature(envelope: Envelope, change: LeadTemperatureChangedV1, *, uow: UowFactory) -> None:
    """The inbox shows each conversation's lead temperature (rows and header); the live feed tells the pages."""
    async with uow() as work:
        if not await work.first_delivery(CONSUMER, envelope.event_id):
            return
        await work.lead_owners.set_temperature(str(change.lead_id), change.to_temperature.value)
        await work.commit()


async def follow_lead_transfer(
    envelope: Envelope,
    transfer: LeadTransferredV1,
    *,
    uow: UowFactory,
    clock: Clock,
    conversations_of_lead: ConversationsOfLead,
) -> list[Envelope]:
    async def attempt() -> list[Envelope]:
        async with uow() as work:
            if not await work.first_delivery(CONSUMER, envelope.event_id):
                return []
            lead_id = str(transfer.lead_id)
            to = transfer.to_agent
            await work.lead_owners.set(envelope.account_id, LeadOwner(lead_id, to.id, to.name, transfer.to_team_id))
            account = await work.accounts.account(envelope.account_id)
            published: list[Envelope] = []
            for conversation_id in await conversations_of_lead(work, lead_id):
                conversation = await work.conversations.get(conversation_id)
                if conversation is None or not conversation.is_open:
                    continue
                by = AgentRef(transfer.from_agent.id, transfer.from_agent.name)
                if conversation.transfer(
                    to_agent=AgentRef(to.id, to.name),
                    to_team_id=transfer.to_team_id,
                    by=by,
                    account=account,
                    at=clock(),
                ):
                    events = await work.conversations.add(conversation, causation=envelope)
                    await work.outbox.stage(events)
                    published.extend(events)
            await work.commit()
            return published

    return await retrying(attempt)
