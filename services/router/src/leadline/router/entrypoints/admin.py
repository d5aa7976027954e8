"""HTTP door for account administrators: read and change their own account's configuration.

Only an agent the account directory holds as an active ``admin`` may call it (``Access``), and only about the
account their token names: anything else is ``403 admin_only``, whatever the request asks for. A business number
another account owns answers 404, as every other account's resource does.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.events import Envelope
from leadline.platform.access import Access
from leadline.platform.auth import AgentIdentity
from leadline.platform.http import ApiError

from ..adapters.account_directory import SqlAccountDirectory, SqlConfigurationUnitOfWork
from ..domain.agents import AccountSettings, Agent
from ..service.configuration import (
    ConfigurationRefused,
    NumberOfAnotherAccount,
    Team,
    apply_configuration,
    change_account_settings,
    register_business_number,
    upsert_agent,
    upsert_team,
)
from .config_file import (
    AccountDocument,
    AgentEntry,
    ConfigurationFileError,
    NumberEntry,
    SettingsEntry,
    TeamEntry,
    problems_of,
    read_document,
)

EXTERNAL_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"  # leadline.events.common.ExternalId
TeamIdPath = Annotated[str, Path(pattern=EXTERNAL_ID, description="The CRM's team id")]
AgentIdPath = Annotated[str, Path(pattern=EXTERNAL_ID, description="The CRM's agent id")]
PhoneNumberIdPath = Annotated[str, Path(pattern=r"^\d{1,32}$", description="Meta's phone_number_id")]


class _Response(BaseModel):
    model_config = ConfigDict(use_attribute_docstrings=True)


class EventRef(_Response):
    type: str
    sequence: int
    """Its position on stream ``account:{account_id}``."""
    event_id: uuid.UUID


class ChangeResult(_Response):
    changed: bool
    """False when the account already was as asked: nothing was written or emitted."""
    events: list[EventRef]


class ConfigurationView(_Response):
    account_id: str
    config_version: int
    """The last sequence on stream ``account:{account_id}``; 0 for an account never configured."""
    configuration: AccountDocument
    """What ``POST /admin/configuration`` accepts: sending it back changes nothing."""


def _result(envelopes: list[Envelope]) -> ChangeResult:
    return ChangeResult(
        changed=bool(envelopes),
        events=[
            EventRef(type=envelope.type, sequence=envelope.sequence, event_id=envelope.event_id)
            for envelope in envelopes
        ],
    )


def _refused(error: ConfigurationRefused) -> ApiError:
    if isinstance(error, NumberOfAnotherAccount):  # as for any resource of another account: nothing is confirmed
        return ApiError(404, "not_found", "no such business number in this account")
    return ApiError(422, error.code, str(error))


def _utc_now() -> datetime:
    return datetime.now(UTC)


def admin_router(
    sessions: async_sessionmaker[AsyncSession],
    access: Access,
    *,
    clock: Callable[[], datetime] = _utc_now,
    directory_changed: Callable[[str], None] = lambda account_id: None,
) -> APIRouter:
    """``directory_changed``: told of each account whose configuration this replica just changed (its rights, kept in
    memory until the change's event, are forgotten at once here)."""
    router = APIRouter(
        prefix="/admin",
        tags=["admin"],
        responses={
            401: {
                "description": "No bearer token, or one that is not valid (`unauthenticated`); an agent the directory does "
                "not hold (`agent_not_in_directory`) or holds as inactive (`agent_inactive`)"
            },
            404: {"description": "A business number of another account (`not_found`)"},
            403: {"description": "The caller is not an administrator of this account (`admin_only`)"},
        },
    )

    def unit_of_work() -> SqlConfigurationUnitOfWork:
        return SqlConfigurationUnitOfWork(sessions)

    async def administrator(agent: AgentIdentity = Depends(access)) -> AgentIdentity:
        if not agent.is_admin:
            raise ApiError(403, "admin_only", "only an administrator may read or change the account's configuration")
        return agent

    # a plain default, not a local Annotated alias: annotations here are strings resolved at module level
    as_admin = Depends(administrator)

    async def changed(handling: Awaitable[list[Envelope]]) -> ChangeResult:
        try:
            envelopes = await handling
        except ConfigurationRefused as error:
            raise _refused(error) from None
        for account_id in {envelope.account_id for envelope in envelopes}:
            directory_changed(account_id)
        return _result(envelopes)

    @router.get("/configuration", response_model=ConfigurationView)
    async def read_configuration(admin: AgentIdentity = as_admin) -> ConfigurationView:
        """The caller's account: settings, teams, business numbers and agents (including those who left)."""
        async with sessions() as session:
            configuration, version = await SqlAccountDirectory(session).configuration(admin.account_id)
        return ConfigurationView(
            account_id=admin.account_id,
            config_version=version,
            configuration=AccountDocument.from_configuration(configuration),
        )

    @router.put("/business-numbers/{phone_number_id}", response_model=ChangeResult)
    async def put_business_number(
        phone_number_id: PhoneNumberIdPath,
        body: NumberEntry,
        admin: AgentIdentity = as_admin,
    ) -> ChangeResult:
        """Connect a WhatsApp number to the account, or change its name, teams (which must exist) or provider."""
        number = body.to_number(phone_number_id)
        return await changed(register_business_number(admin.account_id, number, uow=unit_of_work, clock=clock))

    @router.put("/teams/{team_id}", response_model=ChangeResult)
    async def put_team(team_id: TeamIdPath, body: TeamEntry, admin: AgentIdentity = as_admin) -> ChangeResult:
        team = Team(id=team_id, name=body.name, active=body.active)
        return await changed(upsert_team(admin.account_id, team, uow=unit_of_work, clock=clock))

    @router.put("/agents/{agent_id}", response_model=ChangeResult)
    async def put_agent(agent_id: AgentIdPath, body: AgentEntry, admin: AgentIdentity = as_admin) -> ChangeResult:
        """Create or change an agent; ``active: false`` when they leave (they keep their history, stop claiming)."""
        agent = Agent(id=agent_id, name=body.name, role=body.role, team_ids=frozenset(body.teams))
        return await changed(upsert_agent(admin.account_id, agent, active=body.active, uow=unit_of_work, clock=clock))

    @router.put("/settings", response_model=ChangeResult)
    async def put_settings(body: SettingsEntry, admin: AgentIdentity = as_admin) -> ChangeResult:
        settings = AccountSettings(
            process_type=body.process_type,
            lead_unification=body.lead_unification,
            pool_wait_alert_seconds=body.pool_wait_alert_seconds,
        )
        return await changed(change_account_settings(admin.account_id, settings, uow=unit_of_work, clock=clock))

    @router.post(
        "/configuration",
        response_model=ChangeResult,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    media_type: {"schema": {"$ref": "#/components/schemas/AccountDocument"}}
                    for media_type in ("application/json", "application/yaml")
                },
            }
        },
    )
    async def post_configuration(request: Request, admin: AgentIdentity = as_admin) -> ChangeResult:
        """Apply a whole account document (JSON, or YAML with ``Content-Type: application/yaml``) in one transaction.

        Teams, numbers and agents it does not name are left as they are; applying it twice changes nothing.
        """
        media_type = request.headers.get("content-type", "application/json")
        try:
            data = read_document(await request.body(), source="the request body", media_type=media_type)
            document = AccountDocument.model_validate(data)
        except ConfigurationFileError as error:
            raise ApiError(422, "invalid_configuration", str(error), problems=error.problems) from None
        except ValidationError as error:
            raise ApiError(
                422, "invalid_configuration", "the configuration is not valid", problems=problems_of(error)
            ) from None
        if document.account_id not in (None, admin.account_id):
            raise ApiError(
                403, "admin_only", f"an administrator configures only their own account ({admin.account_id})"
            )
        configuration = document.to_configuration(admin.account_id)
        return await changed(apply_configuration(configuration, uow=unit_of_work, clock=clock))

    return router
