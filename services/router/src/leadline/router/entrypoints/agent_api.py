"""The agent API: the inbox (list, read, search), Add lead (claim), reply, finish, start from a lead.

Every endpoint needs a bearer token, and the agent's rights are the account directory's (``Access``); a conversation the agent may not see answers 404 exactly like one
that does not exist, so its existence is never leaked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from leadline.events.content import OutboundContent
from leadline.platform.access import Access
from leadline.platform.auth import AgentIdentity
from leadline.platform.http import error_body

from ..adapters import queries
from ..domain import errors
from ..domain.agents import Agent, Role
from ..domain.rules import may_answer, service_window, service_window_applies
from ..service import commands
from ..service.inbound import Normalize, UowFactory
from ..service.ports import ClaimGate

HTTP_STATUS = {
    errors.ConversationNotFound: 404,
    errors.AlreadyClaimed: 409,
    errors.ConversationFinished: 409,
    errors.ConcurrentChange: 409,
    errors.NotInAgentsPool: 403,
    errors.NotAllowedToSend: 403,
    errors.OutsideServiceWindow: 422,
    errors.NoTemplatesOnThisNumber: 422,
    errors.NoPhoneOnLead: 422,
    errors.InvalidCustomerPhone: 422,
    errors.BusinessNumberNotForTeam: 422,
    errors.ChooseBusinessNumber: 422,
    errors.OpenConversationInPool: 409,
    errors.CustomerTalkingElsewhere: 409,
    errors.MediaNotFound: 404,
    errors.MediaFetchNotRetryable: 409,
    errors.TemplateNotApproved: 422,
    errors.TemplateParameterCount: 422,
}


MAX_OFFSET = 2**31 - 1  # PostgreSQL takes no OFFSET past int64 (a 500 before this bound); no inbox is this long


def install_router_errors(app: FastAPI) -> None:
    @app.exception_handler(errors.RouterError)
    async def _refused(_: Request, error: errors.RouterError) -> JSONResponse:
        details: dict[str, Any] = {}
        if isinstance(error, errors.AlreadyClaimed):
            details = {"owner": {"id": error.owner_id, "name": error.owner_name}}
        if isinstance(error, errors.ChooseBusinessNumber):
            details = {"options": error.options}
        if isinstance(error, errors.OpenConversationInPool):
            details = {"conversation_id": error.conversation_id}
        if isinstance(error, errors.TemplateParameterCount):
            details = {"expected": error.expected}
        return JSONResponse(
            error_body(error.code, str(error), **details), status_code=HTTP_STATUS.get(type(error), 400)
        )


def _token(request: Request) -> str:
    return request.headers.get("authorization", "").partition(" ")[2]


def agent_of(identity: AgentIdentity) -> Agent:
    return Agent(id=identity.agent_id, name=identity.name, role=Role(str(identity.role)), team_ids=identity.team_ids)


class ClaimRequest(BaseModel):
    lead_id: UUID | None = Field(None, description="The lead created by Add lead, when there is one.")


class ReplyRequest(BaseModel):
    idempotency_key: str = Field(min_length=1, max_length=200, description="Client-chosen; a repeat sends nothing new.")
    content: OutboundContent


class StartRequest(BaseModel):
    lead_id: UUID
    customer_name: str = Field(min_length=1, max_length=256)
    phone: str | None = Field(None, description="The lead's mobile or phone.")
    user_id: str | None = Field(
        None,
        pattern=r"^[A-Z]{2}(\.ENT)?\.[A-Za-z0-9]{1,128}$",
        description="The customer's WhatsApp BSUID, for a lead without a number.",
    )
    phone_number_id: str | None = Field(
        None, description="Business number to write from; optional when the team has one."
    )
    idempotency_key: str = Field(min_length=1, max_length=200)
    content: OutboundContent


def _json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (str(v) if isinstance(v, UUID) else v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()
    }


RenderTemplate = Callable[[dict[str, Any], str | None, str], Awaitable[dict[str, Any]]]


async def as_sent(content: dict[str, Any], phone_number_id: str | None, token: str) -> dict[str, Any]:
    return content


def agent_api(
    *,
    uow: UowFactory,
    sessions,
    access: Access,
    gate: ClaimGate,
    normalize: Normalize,
    clock=lambda: datetime.now(UTC),
    render: RenderTemplate = as_sent,
) -> APIRouter:
    """``render``: a template send with the text the customer reads (``templates_api.rendered_template``)."""
    router = APIRouter(tags=["agent inbox"])
    authenticated = Depends(access)

    async def account_for(identity: AgentIdentity):
        async with uow() as work:
            return await work.accounts.account(identity.account_id)

    @router.get("/conversations")
    async def list_conversations(
        status: Annotated[str | None, Query(pattern="^(new|unanswered|no_reply|finished)$")] = None,
        q: Annotated[str | None, Query(max_length=100, description="customer name or number")] = None,
        since: datetime | None = None,
        until: datetime | None = None,
        team: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI query list
        agent: Annotated[list[str], Query()] = [],  # noqa: B006
        lead_id: UUID | None = Query(None, description="pin this lead's conversation first"),
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        identity: AgentIdentity = authenticated,
    ) -> dict[str, Any]:
        account = await account_for(identity)
        f = queries.ConversationFilter(
            status=status,
            search=q,
            since=since,
            until=until,
            team_ids=tuple(team),
            agent_ids=tuple(agent),
            pinned_lead_id=str(lead_id) if lead_id else None,
            limit=limit,
            offset=offset,
        )
        me = agent_of(identity)
        async with sessions() as session:
            items = await queries.list_conversations(session, me, account, f)
            counts = await queries.count_by_status(session, me, account, f)
            waiting_too_long = await queries.count_waiting_too_long(session, me, account, f)
        return {
            "items": [_json(i) for i in items],
            "counts": counts,
            "waiting_too_long": waiting_too_long,
            "limit": limit,
            "offset": offset,
        }

    @router.get(
        "/directory", summary="The account's teams and active agents by name, as far as this agent works with them"
    )
    async def directory(identity: AgentIdentity = authenticated) -> dict[str, Any]:
        """For the page's filters and pickers: an administrator gets every active team and agent of the account; anyone
        else the teams they belong to and the active agents of those teams."""
        async with sessions() as session:
            return await queries.directory_for(session, agent_of(identity), identity.account_id)

    @router.get("/conversations/{conversation_id}")
    async def read_conversation(conversation_id: str, identity: AgentIdentity = authenticated) -> dict[str, Any]:
        """The conversation; ``you_may_answer``: whether this agent writes to the customer here (``rules.may_answer``);
        ``service_window``: whether free text may be sent now, and until when (else only a template)."""
        row = await _visible(conversation_id, identity)
        account = await account_for(identity)
        answers = may_answer(
            agent_of(identity),
            owner_id=row["owner_id"],
            owner_can_send=row["owner_can_send"],
            collaborator_ids=frozenset(row["collaborator_ids"]),
            account=account,
        )
        async with sessions() as session:
            last = await queries.last_customer_message_in(session, row)
        return {
            **_json(row),
            "you_may_answer": answers and row["status"] != "finished",
            "service_window": service_window(
                last, clock(), applies=service_window_applies(account.numbers.get(row["phone_number_id"]))
            ),
        }

    async def _visible(conversation_id: str, identity: AgentIdentity) -> dict[str, Any]:
        try:
            UUID(conversation_id)
        except ValueError:
            raise errors.ConversationNotFound("no such conversation") from None
        account = await account_for(identity)
        async with sessions() as session:
            row = await queries.get_conversation(session, agent_of(identity), account, conversation_id)
        if row is None:
            raise errors.ConversationNotFound("no such conversation")
        return row

    @router.get("/conversations/{conversation_id}/messages")
    async def read_messages(
        conversation_id: str,
        q: Annotated[str | None, Query(max_length=100)] = None,
        identity: AgentIdentity = authenticated,
    ) -> dict[str, Any]:
        await _visible(conversation_id, identity)
        async with sessions() as session:
            messages = await queries.list_messages(session, conversation_id, search=q)
        return {"items": [_json(m) for m in messages]}

    @router.post("/conversations/{conversation_id}/claim")
    async def claim(
        conversation_id: str, body: ClaimRequest, identity: AgentIdentity = authenticated
    ) -> dict[str, Any]:
        conversation = await commands.claim_conversation(
            conversation_id,
            agent_of(identity),
            account_id=identity.account_id,
            lead_id=str(body.lead_id) if body.lead_id else None,
            uow=uow,
            gate=gate,
            clock=clock,
            normalize=normalize,
        )
        return {
            "conversation_id": conversation.id,
            "owner": {"id": conversation.owner.id, "name": conversation.owner.name},
        }

    @router.post("/conversations/{conversation_id}/messages", status_code=202)
    async def send(
        conversation_id: str, body: ReplyRequest, request: Request, identity: AgentIdentity = authenticated
    ) -> dict[str, str]:
        content = body.content.model_dump(mode="json")
        if content.get("kind") == "template":
            content = await render(
                content, (await _visible(conversation_id, identity))["phone_number_id"], _token(request)
            )
        message_id = await commands.reply(
            conversation_id,
            agent_of(identity),
            account_id=identity.account_id,
            content=content,
            idempotency_key=body.idempotency_key,
            uow=uow,
            clock=clock,
            normalize=normalize,
        )
        return {"message_id": message_id}

    @router.post("/conversations/{conversation_id}/finish")
    async def finish(conversation_id: str, identity: AgentIdentity = authenticated) -> dict[str, str]:
        await commands.finish_conversation(
            conversation_id, agent_of(identity), account_id=identity.account_id, uow=uow, clock=clock
        )
        return {"conversation_id": conversation_id, "status": "finished"}

    @router.post(
        "/conversations",
        status_code=201,
        responses={
            200: {"description": "The customer's open conversation (yours) took the message: `existing` is true"},
            409: {
                "description": "The customer's open conversation waits in the pool (`open_conversation_in_pool`, "
                "details.conversation_id: take it there), is someone else's (`already_claimed`), or is "
                "one you cannot see (`customer_in_another_conversation`)"
            },
        },
    )
    async def start_from_lead(
        body: StartRequest, response: Response, request: Request, identity: AgentIdentity = authenticated
    ) -> dict[str, str | bool]:
        content = await render(body.content.model_dump(mode="json"), body.phone_number_id, _token(request))
        command = commands.StartFromLead(
            lead_id=str(body.lead_id),
            customer_name=body.customer_name,
            phone=body.phone,
            phone_number_id=body.phone_number_id,
            content=content,
            idempotency_key=body.idempotency_key,
            user_id=body.user_id,
        )
        started = await commands.start_from_lead(
            command, agent_of(identity), account_id=identity.account_id, uow=uow, clock=clock, normalize=normalize
        )
        if started.existing:
            response.status_code = 200
        return {
            "conversation_id": started.conversation_id,
            "message_id": started.message_id,
            "existing": started.existing,
        }

    return router
