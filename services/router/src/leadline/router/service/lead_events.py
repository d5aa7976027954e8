"""Handlers for what the leads service tells the router: who owns a lead, transfers of it, and its temperature.

Transfer rule: ownership of the lead's open conversations follows the lead; to a team not linked to the
conversation's business number, the new owner reads the history but cannot send (the conversation says so).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from leadline.events import Envelope, LeadCreatedV2, LeadTemperatureChangedV1, LeadTransferredV1

from ..domain.events import AgentRef
from .inbound import Clock
from .ports import LeadOwner, UnitOfWork

ConversationsOfLead = Callable[[UnitOfWork, str], Awaitable[list[str]]]


async def remember_lead_owner(work: UnitOfWork, envelope: Envelope, lead: LeadCreatedV2) -> None:
    """A new lead: its owner is who the customer's next conversation goes to."""
    agent = lead.responsible_agent
    await work.lead_owners.set(envelope.account_id, LeadOwner(str(lead.lead_id), agent.id, agent.name, lead.team_id))


async def remember_lead_temperature(work: UnitOfWork, change: LeadTemperatureChangedV1) -> None:
    """The inbox shows each conversation's lead temperature (rows and header); the live feed tells the pages."""
    await work.lead_owners.set_temperature(str(change.lead_id), change.to_temperature.value)


async def follow_lead_transfer(
    work: UnitOfWork,
    envelope: Envelope,
    transfer: LeadTransferredV1,
    *,
    clock: Clock,
    conversations_of_lead: ConversationsOfLead,
) -> None:
    lead_id = str(transfer.lead_id)
    to = transfer.to_agent
    await work.lead_owners.set(envelope.account_id, LeadOwner(lead_id, to.id, to.name, transfer.to_team_id))
    account = await work.accounts.account(envelope.account_id)
    by = AgentRef(transfer.from_agent.id, transfer.from_agent.name)
    for conversation_id in await conversations_of_lead(work, lead_id):
        conversation = await work.conversations.get(conversation_id)
        if conversation is not None and conversation.is_open:
            conversation.transfer(
                to_agent=AgentRef(to.id, to.name), to_team_id=transfer.to_team_id, by=by, account=account, at=clock()
            )
