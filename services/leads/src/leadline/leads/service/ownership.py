"""Who owns a lead: transfers by its owner or an administrator, and an administrator settling a conflict."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from ..domain.errors import AdminsOnly, ConflictNotFound, LeadNotFound, NotYourLead, UnknownAgent
from ..domain.events import AgentRef
from ..domain.lead import Agent, Lead, may_see_lead, may_transfer_lead
from .common import retrying
from .ports import Clock, DirectoryAgent, UnitOfWork, UowFactory

log = structlog.get_logger(__name__)


async def visible_lead(work: UnitOfWork, lead_id: str, agent: Agent) -> Lead:
    """The lead if this agent may see it; otherwise exactly the answer for a lead that does not exist."""
    lead = await work.leads.get(lead_id)
    if (
        lead is None
        or lead.owner is None
        or lead.team_id is None
        or not may_see_lead(agent, account_id=lead.account_id, owner_id=lead.owner.id, team_id=lead.team_id)
    ):
        raise LeadNotFound("no such lead")
    return lead


async def _agent_in_team(
    work: UnitOfWork, account_id: str, agent_id: str, team_id: str | None
) -> tuple[DirectoryAgent, str]:
    found = await work.directory.agent(account_id, agent_id)
    if found is None or not found.active:
        raise UnknownAgent(f"agent {agent_id} is not an active agent of this account")
    if team_id is None:
        if not found.team_ids:
            raise UnknownAgent(f"agent {agent_id} belongs to no team")
        return found, min(found.team_ids)
    if team_id not in found.team_ids:
        raise UnknownAgent(f"agent {agent_id} is not a member of team {team_id}")
    return found, team_id


async def transfer_lead(
    lead_id: str, *, to_agent_id: str, to_team_id: str, agent: Agent, uow: UowFactory, clock: Clock
) -> Lead:
    """The owner hands the lead over (or an administrator reassigns it); the router moves its conversations."""

    async def attempt() -> Lead:
        async with uow() as work:
            lead = await visible_lead(work, lead_id, agent)
            assert lead.owner is not None
            if lead.is_with(to_agent_id, to_team_id):  # a retried transfer that already happened: nothing to decide
                return lead
            if not may_transfer_lead(agent, owner_id=lead.owner.id):
                raise NotYourLead(f"only {lead.owner.name} or an administrator can transfer this lead")
            target, team_id = await _agent_in_team(work, lead.account_id, to_agent_id, to_team_id)
            if lead.transfer(AgentRef(target.agent_id, target.name), team_id, at=clock()):
                log.info("lead transferred", lead_id=lead.id, to_agent_id=target.agent_id, to_team_id=team_id)
            await work.commit()
            return lead

    return await retrying(attempt)


@dataclass(frozen=True)
class ResolveConflict:
    conflict_id: str
    keep_lead_id: str
    agent_id: str
    team_id: str | None = None


async def resolve_conflict(command: ResolveConflict, *, admin: Agent, uow: UowFactory, clock: Clock) -> Lead:
    """The administrator assigns the customer's lead to one agent; the customer's other leads merge into it.

    One transaction over the conflict and every lead in it (an exception to one aggregate per
    transaction, on purpose): the next Add lead for this customer must find one lead, never half a decision.
    """
    if not admin.is_admin:
        raise AdminsOnly("only an administrator can resolve a lead conflict")

    async def attempt() -> Lead:
        async with uow() as work:
            conflict = await work.conflicts.get_for_update(command.conflict_id)
            if conflict is None or conflict.account_id != admin.account_id:
                raise ConflictNotFound("no such conflict")
            by = AgentRef(admin.id, admin.name)
            kept = await work.leads.get(command.keep_lead_id)
            if not conflict.resolve(keep=command.keep_lead_id, by=admin.id) or kept is None:
                await work.commit()
                if kept is None:
                    raise LeadNotFound("no such lead")
                return kept
            now = clock()
            target, team_id = await _agent_in_team(
                work,
                admin.account_id,
                command.agent_id,
                command.team_id
                or (kept.team_id if await _is_member(work, admin.account_id, command.agent_id, kept.team_id) else None),
            )
            kept.transfer(AgentRef(target.agent_id, target.name), team_id, at=now)
            kept.settle_conflict(conflict.conflict_id, kept_lead_id=kept.id, by=by, at=now)
            for merged_id in conflict.merged_lead_ids:
                merged = await work.leads.get(merged_id)
                if merged is not None:
                    merged.settle_conflict(conflict.conflict_id, kept_lead_id=kept.id, by=by, at=now)
            await work.conflicts.save_resolution(conflict, now)
            await work.commit()
            log.info(
                "lead conflict resolved",
                conflict_id=conflict.conflict_id,
                kept_lead_id=kept.id,
                agent_id=target.agent_id,
            )
            return kept

    return await retrying(attempt)


async def _is_member(work: UnitOfWork, account_id: str, agent_id: str, team_id: str | None) -> bool:
    found = await work.directory.agent(account_id, agent_id)
    return found is not None and team_id is not None and team_id in found.team_ids
