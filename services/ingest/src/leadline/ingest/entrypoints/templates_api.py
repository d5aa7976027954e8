"""``/templates``: a business number's approved WhatsApp templates, for the router (the page's template picker).

- ``GET /templates?phone_number_id=…``: the approved templates of the number's WhatsApp Business Account, read from
  Meta the first time and then kept (a background sync reads them again every ``TEMPLATE_SYNC_INTERVAL_S``).
- ``POST /templates/sync?phone_number_id=…``: read them from Meta now (a template approved a minute ago).
- ``POST /templates/render?phone_number_id=…`` with ``{name, language, parameters}``: the text the customer will read,
  or why WhatsApp would refuse it (404 ``template_not_found``, 422 ``template_parameters``), before anything is sent.

Both need a valid agent token, as the media API: the router forwards the agent's after deciding the agent may write
from that number.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from leadline.platform.auth import TokenVerifier
from leadline.platform.http import ApiError

from ..domain.templates import TemplateNotApproved, TemplateParameterCount, render
from ..service.ports import GraphApiError, GraphApiUnreachable, UnitOfWork
from ..service.templates import NumberTemplates, NumberWithoutBusinessAccount, TemplateSource, templates_of_number


class TemplateSend(BaseModel):
    name: str = Field(min_length=1, max_length=512)
    language: str = Field(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    parameters: list[str] = Field(default_factory=list, max_length=100)


def templates_api(
    *,
    graph: TemplateSource,
    uow: Callable[[], UnitOfWork],
    verifier: TokenVerifier,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> APIRouter:
    router = APIRouter(prefix="/templates", tags=["templates"], dependencies=[Depends(verifier)])

    async def answer(phone_number_id: str, *, refresh: bool) -> dict[str, Any]:
        try:
            found = await templates_of_number(phone_number_id, graph=graph, uow=uow, clock=clock, refresh=refresh)
        except NumberWithoutBusinessAccount as error:
            raise ApiError(404, error.code, str(error)) from None
        except (GraphApiError, GraphApiUnreachable) as error:
            raise ApiError(502, "templates_unavailable", f"WhatsApp did not list the templates: {error}") from None
        return listed(found)

    @router.get("")
    async def approved_templates(phone_number_id: str = Query(pattern=r"^\d{1,32}$")) -> dict[str, Any]:
        return await answer(phone_number_id, refresh=False)

    @router.post("/sync")
    async def sync_now(phone_number_id: str = Query(pattern=r"^\d{1,32}$")) -> dict[str, Any]:
        return await answer(phone_number_id, refresh=True)

    @router.post("/render")
    async def rendered(body: TemplateSend, phone_number_id: str = Query(pattern=r"^\d{1,32}$")) -> dict[str, Any]:
        try:
            found = await templates_of_number(phone_number_id, graph=graph, uow=uow, clock=clock)
            return {"text": render(found.templates, body.name, body.language, body.parameters)}
        except NumberWithoutBusinessAccount as error:
            raise ApiError(404, error.code, str(error)) from None
        except TemplateNotApproved as error:
            raise ApiError(404, error.code, str(error), name=body.name, language=body.language) from None
        except TemplateParameterCount as error:
            raise ApiError(422, error.code, str(error), expected=error.expected, given=error.given) from None
        except (GraphApiError, GraphApiUnreachable) as error:
            raise ApiError(502, "templates_unavailable", f"WhatsApp did not list the templates: {error}") from None

    return router


def listed(found: NumberTemplates) -> dict[str, Any]:
    return {
        "phone_number_id": found.phone_number_id,
        "waba_id": found.waba_id,
        "synced_at": found.synced_at.isoformat() if found.synced_at else None,
        "items": [
            {
                "name": t.name,
                "language": t.language,
                "category": t.category,
                "header": t.header,
                "body": t.body,
                "footer": t.footer,
                "buttons": list(t.buttons),
                "parameter_count": t.parameter_count,
                "example": list(t.example),
            }
            for t in found.templates
        ],
    }
