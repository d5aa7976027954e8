"""The agent API: the Add lead form and its save, a lead with its conversations, transfers, business numbers.

Every endpoint needs a bearer token; a lead or conversation the agent may not see answers 404 exactly
like one that does not exist. The token is forwarded to the router as it came. Refusals leave as
``{"error": {"code", "message", "details"?}}`` with the status in ``HTTP_STATUS``.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.phones import format_for_display
from leadline.platform.http import error_body

from ..adapters import lead_store
from ..domain import errors
from ..domain.errors import ConversationNotFound, LeadNotFound
from ..domain.lead import Agent
from ..domain.unification import AttachToLead, Conflict
from ..service.add_lead import AddLead, AddLeadContext, add_lead, outlook
from ..service.ownership import transfer_lead, visible_lead
from ..service.ports import RouterUnavailable
from .models import (
    AddLeadRequest,
    BusinessNumbersView,
    Caller,
    ConflictNoticeView,
    ExistingLeadView,
    LeadAddedView,
    LeadFormView,
    LeadView,
    PersonView,
    TransferRequest,
    conversation_link,
    lead_view,
)


def leads_api(
    *, ctx: AddLeadContext, sessions: async_sessionmaker[AsyncSession], caller: Any, router_url: str
) -> APIRouter:
    router = APIRouter(tags=["leads"])
    who = Depends(caller)

    @router.get(
        "/conversations/{conversation_id}/lead-form",
        response_model=LeadFormView,
        summary="The Add lead form, prefilled from the conversation",
    )
    async def lead_form(conversation_id: str, me: Caller = who) -> LeadFormView:
        """Name is the customer's WhatsApp profile name (else their @username, else their formatted number); mobile is
        their number when it is known. A customer known only by BSUID leaves the mobile empty: the lead is reached on
        WhatsApp, and ``request_contact_info`` says the agent can ask for the number (it fills the lead when shared).

        The conversation is read from the router with the agent's own token: one the agent may not see is a 404.
        """
        try:
            UUID(conversation_id)
        except ValueError:
            raise ConversationNotFound("no such conversation") from None
        conversation = await ctx.router.conversation(conversation_id, me.token)
        if conversation is None:
            raise ConversationNotFound("no such conversation")
        phone = conversation.customer_phone
        ahead = await outlook(conversation, me.agent, ctx)
        existing = conflict = None
        if isinstance(ahead.destination, AttachToLead):
            responsible = ahead.responsible
            existing = ExistingLeadView(
                lead_id=ahead.destination.lead_id,
                responsible=PersonView(id=responsible.id, name=responsible.name) if responsible else None,
                team_name=ahead.team_names[0] if ahead.team_names else None,
                becomes_yours=responsible is not None and responsible.id != me.agent.id,
            )
        elif isinstance(ahead.destination, Conflict):
            conflict = ConflictNoticeView(conflict_id=ahead.conflict_id, team_names=list(ahead.team_names))
        return LeadFormView(
            conversation_id=conversation.conversation_id,
            saving="attach" if existing else "conflict" if conflict else "new_lead",
            existing_lead=existing,
            conflict=conflict,
            name=prefilled_name(conversation.customer_name, phone, conversation.customer_username),
            mobile=phone,
            mobile_display=format_for_display(phone) if phone else None,
            whatsapp_user_id=conversation.customer_user_id,
            whatsapp_username=conversation.customer_username,
            request_contact_info=phone is None and conversation.customer_user_id is not None,
            business_phone_number_id=conversation.phone_number_id,
            business_display_number=conversation.business_display_number,
            lead_id=conversation.lead_id,
            conversation=conversation_link(router_url, conversation.conversation_id),
        )

    @router.post(
        "/leads",
        response_model=LeadAddedView,
        status_code=201,
        responses={
            200: {"description": "Attached to the customer's existing lead (lead unification)"},
            409: {"description": "Someone else was first (the owner is named), or a lead conflict"},
            503: {"description": "The router did not answer; retry with the same idempotency key"},
        },
    )
    async def save_lead(body: AddLeadRequest, response: Response, me: Caller = who) -> LeadAddedView:
        """Add lead: create the lead with the agent as responsible and claim the conversation, as one saga.

        Retrying with the same ``idempotency_key`` creates nothing twice and gives the same answer.
        """
        command = AddLead(
            conversation_id=str(body.conversation_id),
            idempotency_key=body.idempotency_key,
            name=body.name,
            mobile=body.mobile,
            phone=body.phone,
            email=body.email,
            vehicle_of_interest=body.vehicle_of_interest,
            notes=body.notes,
        )
        outcome = await add_lead(command, me.agent, me.token, ctx)
        if outcome.attached:
            response.status_code = 200
        return LeadAddedView(
            lead_id=outcome.lead_id,
            conversation_id=outcome.conversation_id,
            attached=outcome.attached,
            lead=f"/leads/{outcome.lead_id}",
            conversation=conversation_link(router_url, outcome.conversation_id),
        )

    @router.get("/leads/{lead_id}", response_model=LeadView)
    async def read_lead(lead_id: str, me: Caller = who) -> LeadView:
        """The lead, its conversion points, its temperature and its conversations (the open one first)."""
        return await read_lead_view(lead_id, me.agent, ctx=ctx, sessions=sessions, router_url=router_url)

    @router.post("/leads/{lead_id}/transfer", response_model=LeadView)
    async def transfer(lead_id: str, body: TransferRequest, me: Caller = who) -> LeadView:
        """Give the lead to another agent (and team); the router moves the lead's open conversations along."""
        await transfer_lead(
            _lead_key(lead_id),
            to_agent_id=body.to_agent_id,
            to_team_id=body.to_team_id,
            agent=me.agent,
            uow=ctx.uow,
            clock=ctx.clock,
        )
        return await read_lead_view(lead_id, None, ctx=ctx, sessions=sessions, router_url=router_url)

    @router.get("/leads/{lead_id}/business-numbers", response_model=BusinessNumbersView)
    async def business_numbers(lead_id: str, me: Caller = who) -> BusinessNumbersView:
        """The WhatsApp numbers the lead's team may write from ("start conversation" is the router's POST /conversations)."""
        async with ctx.uow() as work:
            lead = await visible_lead(work, _lead_key(lead_id), me.agent)
            assert lead.team_id is not None
            numbers = await work.directory.numbers_for_team(lead.account_id, lead.team_id)
        return BusinessNumbersView(
            team_id=lead.team_id,
            items=[
                {"phone_number_id": n.phone_number_id, "display_phone_number": n.display_phone_number, "name": n.name}
                for n in numbers
            ],
        )

    return router


_BSUID = re.compile(r"^[A-Z]{2}(\.ENT)?\.[A-Za-z0-9]+$")


def prefilled_name(profile_name: str, customer_phone: str | None, username: str | None = None) -> str:
    """The WhatsApp profile name; without one (empty, or just the number) the @username, else the number formatted
    for people; empty when WhatsApp gave none of them (the agent types it)."""
    name = profile_name.strip()
    if name and not (set(name) <= set("+0123456789 ()-.") or name.startswith("@") or _BSUID.match(name)):
        return name
    if username:
        return f"@{username.lstrip('@')}"
    return format_for_display(customer_phone) if customer_phone else ""


async def read_lead_view(
    lead_id: str,
    agent: Agent | None,
    *,
    ctx: AddLeadContext,
    sessions: async_sessionmaker[AsyncSession],
    router_url: str,
) -> LeadView:
    """The lead as ``agent`` may see it (None: the caller already acted on it, e.g. transferred it away)."""
    if agent is not None:
        async with ctx.uow() as work:
            await visible_lead(work, _lead_key(lead_id), agent)
    async with sessions() as session:
        row = await lead_store.lead_row(session, lead_id)
        points = await lead_store.conversion_points(session, lead_id)
        conversations = await lead_store.conversations_of_lead(session, lead_id)
    if row is None:
        raise LeadNotFound("no such lead")
    return lead_view(row, points, conversations, router_url)


def _lead_key(lead_id: str) -> str:
    try:
        return str(UUID(lead_id))
    except ValueError:
        raise LeadNotFound("no such lead") from None


HTTP_STATUS: dict[type[errors.LeadsError], int] = {
    errors.LeadNotFound: 404,
    errors.ConversationNotFound: 404,
    errors.ConflictNotFound: 404,
    errors.ClaimLost: 409,
    errors.LeadConflict: 409,
    errors.AddLeadInProgress: 409,
    errors.LeadMerged: 409,
    errors.ConflictAlreadyResolved: 409,
    errors.ConcurrentChange: 409,
    errors.NotYourLead: 403,
    errors.AdminsOnly: 403,
    errors.IdempotencyKeyReused: 422,
    errors.InvalidMobile: 422,
    errors.UnknownAgent: 422,
    errors.LeadNotInConflict: 422,
    errors.NoTeam: 422,
}


def install_leads_errors(app: FastAPI) -> None:
    @app.exception_handler(errors.LeadsError)
    async def _refused(_: Request, error: errors.LeadsError) -> JSONResponse:
        details: dict[str, Any] = {}
        status = HTTP_STATUS.get(type(error), 400)
        if isinstance(error, errors.ClaimLost):
            details = {"owner": {"id": error.owner_id, "name": error.owner_name}}
        elif isinstance(error, errors.LeadConflict):
            details = {
                "conflict_id": error.conflict_id,
                "team_ids": list(error.team_ids),
                "team_names": list(error.team_names),
                "lead_ids": list(error.lead_ids),
            }
        elif isinstance(error, errors.ClaimRejected):
            status = error.status if 400 <= error.status < 500 else 409
        return JSONResponse(error_body(error.code, str(error), **details), status_code=status)

    @app.exception_handler(RouterUnavailable)
    async def _router_down(_: Request, error: RouterUnavailable) -> JSONResponse:
        return JSONResponse(
            error_body("router_unavailable", "the inbox is not answering; try again with the same idempotency key"),
            status_code=503,
            headers={"Retry-After": "5"},
        )
