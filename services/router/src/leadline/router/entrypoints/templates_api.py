"""WhatsApp templates for the page: reaching a customer outside the 24-hour window.

- ``GET /conversations/{id}/templates``: the conversation's 24-hour window (open, when it closes) and the approved
  templates of its business number; authorized like the conversation.
- ``GET /business-numbers/{phone_number_id}/templates?lead_id=…``: the same for starting a conversation from a lead on
  that number (the window as the lead's customer last wrote to it); for agents of the teams linked to the number.
- ``POST /business-numbers/{phone_number_id}/templates/sync``: read the templates from Meta again now.

Templates live with ingest, which talks to Meta; a template the agent sends is rendered there first
(``rendered_template``): the conversation and the timeline show what the customer reads, and a template WhatsApp
would refuse (unknown, or the wrong number of parameters) is refused before anything is sent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import structlog
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from leadline.platform.access import Access
from leadline.platform.auth import AgentIdentity
from leadline.platform.http import ApiError

from ..adapters import queries
from ..adapters.ingest_media import IngestMedia, MediaStoreUnavailable
from ..domain import errors
from ..domain.agents import BusinessNumber
from ..domain.rules import service_window, service_window_applies
from ..service.inbound import UowFactory
from .agent_api import agent_of

log = structlog.get_logger(__name__)


def bearer(request: Request) -> str:
    return request.headers.get("authorization", "").partition(" ")[2]


async def rendered_template(
    content: dict[str, Any], phone_number_id: str | None, token: str, *, ingest: IngestMedia
) -> dict[str, Any]:
    """A template send with the text the customer will read; refused as WhatsApp would refuse it. When the number's
    templates cannot be read (no business account configured, ingest or Meta down) it goes as asked: Meta decides."""
    if content.get("kind") != "template":
        return content
    content = {
        key: value for key, value in content.items() if key != "text"
    }  # the text is ours to render, not the caller's
    if not phone_number_id:
        return content
    try:
        answer = await ingest.render_template(phone_number_id, content, token=token)
    except MediaStoreUnavailable:
        log.warning("template sent unchecked: ingest did not answer", template=content.get("name"))
        return content
    refusal = (answer.json().get("error") or {}).get("code") if answer.is_error else None
    if refusal == "template_not_found":
        raise errors.TemplateNotApproved(
            f"no approved template {content['name']} in {content['language']} on this number"
        )
    if refusal == "template_parameters":
        expected = answer.json()["error"]["details"]["expected"]
        raise errors.TemplateParameterCount(f"template {content['name']} takes {expected} parameter(s)", expected)
    if answer.is_error:
        log.warning("template sent unchecked", template=content.get("name"), status=answer.status_code, refusal=refusal)
        return content
    return {**content, "text": answer.json()["text"]}


def templates_api(
    *, uow: UowFactory, sessions, access: Access, ingest: IngestMedia, clock=lambda: datetime.now(UTC)
) -> APIRouter:
    router = APIRouter(tags=["agent inbox"])
    authenticated = Depends(access)

    async def templates_of(
        phone_number_id: str, token: str, *, refresh: bool = False, applies: bool = True
    ) -> dict[str, Any]:
        if not applies:  # a WhatsApp Web (Evolution) number: no templates to ask anyone for
            return {"items": [], "synced_at": None, "available": False}
        try:
            answer = await ingest.templates(phone_number_id, token=token, refresh=refresh)
        except MediaStoreUnavailable as error:
            raise ApiError(502, "templates_unavailable", "the templates could not be read; try again") from error
        if answer.status_code == 404:  # the number's business account was never configured
            return {"items": [], "synced_at": None, "available": False}
        if answer.is_error:
            raise ApiError(502, "templates_unavailable", "the templates could not be read; try again")
        listed = answer.json()
        return {"items": listed["items"], "synced_at": listed["synced_at"], "available": True}

    async def number_of_agent(phone_number_id: str, me: AgentIdentity) -> BusinessNumber:
        async with uow() as work:
            account = await work.accounts.account(me.account_id)
        number = account.numbers.get(phone_number_id)
        agent = agent_of(me)
        if number is None or not (agent.is_admin or agent.team_ids & number.team_ids):
            raise errors.ConversationNotFound("no such business number")
        return number

    @router.get("/conversations/{conversation_id}/templates")
    async def conversation_templates(
        conversation_id: str, request: Request, me: AgentIdentity = authenticated
    ) -> dict[str, Any]:
        """The 24-hour window of this conversation and the templates its number may send."""
        try:
            UUID(conversation_id)
        except ValueError:
            raise errors.ConversationNotFound("no such conversation") from None
        async with uow() as work:
            account = await work.accounts.account(me.account_id)
        async with sessions() as session:
            row = await queries.get_conversation(session, agent_of(me), account, conversation_id)
            if row is None:
                raise errors.ConversationNotFound("no such conversation")
            last = await queries.last_customer_message_in(session, row)
        applies = service_window_applies(account.numbers.get(row["phone_number_id"]))
        return {
            "service_window": service_window(last, clock(), applies=applies),
            **await templates_of(row["phone_number_id"], bearer(request), applies=applies),
        }

    @router.get("/business-numbers/{phone_number_id}/templates")
    async def number_templates(
        phone_number_id: str, request: Request, lead_id: UUID | None = Query(None), me: AgentIdentity = authenticated
    ) -> dict[str, Any]:
        """For starting from a lead: the window with that lead's customer on this number, and its templates."""
        applies = service_window_applies(await number_of_agent(phone_number_id, me))
        last = None
        if lead_id is not None:
            async with sessions() as session:
                last = await queries.last_customer_message_on(
                    session, me.account_id, phone_number_id, lead_id=str(lead_id)
                )
        return {
            "service_window": service_window(last, clock(), applies=applies),
            **await templates_of(phone_number_id, bearer(request), applies=applies),
        }

    @router.post("/business-numbers/{phone_number_id}/templates/sync")
    async def sync(phone_number_id: str, request: Request, me: AgentIdentity = authenticated) -> JSONResponse:
        """Read the number's templates from Meta again (one approved a minute ago shows at once)."""
        applies = service_window_applies(await number_of_agent(phone_number_id, me))
        return JSONResponse(await templates_of(phone_number_id, bearer(request), refresh=True, applies=applies))

    return router
