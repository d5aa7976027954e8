"""The administrators' API for leads: list the customers' lead conflicts and resolve one by assigning an agent."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..domain.errors import AdminsOnly, ConflictNotFound
from ..service.add_lead import AddLeadContext
from ..service.ownership import ResolveConflict, resolve_conflict
from .http import read_lead_view
from .models import Caller, ConflictView, LeadView, ResolveConflictRequest


def admin_api(
    *, ctx: AddLeadContext, sessions: async_sessionmaker[AsyncSession], caller: Any, router_url: str
) -> APIRouter:
    router = APIRouter(prefix="/admin", tags=["administration"])
    who = Depends(caller)

    @router.get("/conflicts", response_model=list[ConflictView])
    async def list_conflicts(
        status: Annotated[str | None, Query(pattern="^(open|resolved)$")] = "open", me: Caller = who
    ) -> list[ConflictView]:
        if not me.agent.is_admin:
            raise AdminsOnly("only an administrator sees lead conflicts")
        async with ctx.uow() as work:
            found = await work.conflicts.listed(me.agent.account_id, status=status)
        return [
            ConflictView(
                conflict_id=c.conflict_id,
                customer_phone=c.customer_phone,
                whatsapp_user_id=c.whatsapp_user_id,
                lead_ids=list(c.lead_ids),
                team_ids=list(c.team_ids),
                resolved=c.is_resolved,
                kept_lead_id=c.kept_lead_id,
            )
            for c in found
        ]

    @router.post("/conflicts/{conflict_id}/resolve", response_model=LeadView)
    async def resolve(conflict_id: str, body: ResolveConflictRequest, me: Caller = who) -> LeadView:
        """Keep one lead, assigned to one agent (a transfer if the owner changes); the others merge into it."""
        command = ResolveConflict(
            conflict_id=_conflict_key(conflict_id),
            keep_lead_id=str(body.lead_id),
            agent_id=body.agent_id,
            team_id=body.team_id,
        )
        kept = await resolve_conflict(command, admin=me.agent, uow=ctx.uow, clock=ctx.clock)
        return await read_lead_view(kept.id, me.agent, ctx=ctx, sessions=sessions, router_url=router_url)

    return router


def _conflict_key(conflict_id: str) -> str:
    try:
        return str(UUID(conflict_id))
    except ValueError:
        raise ConflictNotFound("no such conflict") from None
