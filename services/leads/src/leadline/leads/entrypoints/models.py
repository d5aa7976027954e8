"""The HTTP shapes of the leads API (published in its OpenAPI) and who is calling."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from leadline.platform.access import Access
from leadline.platform.auth import InvalidToken

from ..domain.lead import Agent

_bearer = HTTPBearer(auto_error=False, description="An agent's JWT (`leadline token` mints a dev one).")


@dataclass(frozen=True)
class Caller:
    agent: Agent
    token: str
    """Forwarded to the router as it came, so the router judges the agent itself."""


def authenticated(access: Access) -> Callable[..., Awaitable[Caller]]:
    """The caller: who the token proves, with the rights the account directory gives them now."""

    async def caller(_: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Caller:
        if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
            raise InvalidToken("a bearer token is required (Authorization: Bearer <jwt>)")
        identity = await access.of_token(credentials.credentials)
        agent = Agent(identity.agent_id, identity.name, str(identity.role), identity.account_id, identity.team_ids)
        return Caller(agent, credentials.credentials)

    return caller


def conversation_link(router_url: str, conversation_id: str) -> str:
    return f"{router_url.rstrip('/')}/conversations/{conversation_id}"


Text = Field(default=None, max_length=4000)


class AddLeadRequest(BaseModel):
    conversation_id: UUID = Field(description="The conversation the agent is looking at.")
    idempotency_key: str = Field(
        min_length=1, max_length=200, description="Client-chosen; a retried save creates nothing twice."
    )
    name: str = Field(min_length=1, max_length=256, pattern=r"\S", description="Prefilled by the lead form.")
    mobile: str | None = Field(
        default=None,
        max_length=40,
        description=(
            "Any way a Brazilian or international number is written; empty for a customer known only by their WhatsApp "
            "BSUID (the lead is reached on WhatsApp and takes the number the customer shares)."
        ),
    )
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    vehicle_of_interest: str | None = Field(default=None, max_length=256)
    notes: str | None = Text


class TransferRequest(BaseModel):
    to_agent_id: str = Field(min_length=1, max_length=64)
    to_team_id: str = Field(min_length=1, max_length=64)


class ResolveConflictRequest(BaseModel):
    lead_id: UUID = Field(description="The lead to keep; the customer's other leads in the conflict merge into it.")
    agent_id: str = Field(min_length=1, max_length=64, description="The one agent the kept lead is assigned to.")
    team_id: str | None = Field(
        default=None, max_length=64, description="Defaults to the lead's team if the agent is in it."
    )


class PersonView(BaseModel):
    id: str
    name: str


class ExistingLeadView(BaseModel):
    lead_id: str
    responsible: PersonView | None
    team_name: str | None
    becomes_yours: bool = Field(description="Saving makes you its responsible agent (someone else is now).")


class ConflictNoticeView(BaseModel):
    conflict_id: str | None
    team_names: list[str]


class LeadFormView(BaseModel):
    conversation_id: str
    saving: Literal["new_lead", "attach", "conflict"] = Field(
        description=(
            "What saving does, decided by the unification rule now: a new lead; the conversation joins the customer's lead "
            "(``existing_lead``; the saver becomes responsible); or refused until an administrator resolves the customer's "
            "leads in several teams (``conflict``)."
        )
    )
    existing_lead: ExistingLeadView | None = None
    conflict: ConflictNoticeView | None = None
    name: str
    mobile: str | None = Field(
        description="The customer's number (E.164) when known; none for a customer known only by BSUID."
    )
    mobile_display: str | None
    whatsapp_user_id: str | None = Field(None, description="The customer's WhatsApp BSUID, when WhatsApp named one.")
    whatsapp_username: str | None = None
    request_contact_info: bool = Field(
        False,
        description=(
            "True when the number is unknown but the customer is on WhatsApp: once the lead is saved, the agent can send "
            "the template with WhatsApp's request-contact-info button; the number the customer shares fills the lead."
        ),
    )
    business_phone_number_id: str
    business_display_number: str
    lead_id: str | None = Field(description="The lead this conversation already belongs to, if any.")
    conversation: str


class LeadAddedView(BaseModel):
    lead_id: str
    conversation_id: str
    attached: bool = Field(description="True: the conversation joined the customer's existing lead (unification).")
    lead: str
    conversation: str


class AgentView(BaseModel):
    id: str
    name: str


class TemperatureView(BaseModel):
    value: Literal["cold", "warm", "hot"] | None
    reasons: list[str]
    changed_at: datetime | None


class ConversationView(BaseModel):
    conversation_id: str
    open: bool
    business_phone_number_id: str | None
    business_display_number: str | None
    opened_at: datetime | None
    last_customer_message_at: datetime | None
    link: str


class LeadView(BaseModel):
    lead_id: str
    status: Literal["active", "merged"]
    merged_into: str | None
    name: str
    mobile: str | None
    whatsapp_user_id: str | None = None
    whatsapp_username: str | None = None
    phone: str | None
    email: str | None
    vehicle_of_interest: str | None
    notes: str | None
    responsible_agent: AgentView
    team_id: str
    created_at: datetime
    temperature: TemperatureView
    conversion_points: list[dict[str, Any]]
    conversations: list[ConversationView]


class BusinessNumbersView(BaseModel):
    team_id: str
    items: list[dict[str, str]]


class ConflictView(BaseModel):
    conflict_id: str
    customer_phone: str | None
    whatsapp_user_id: str | None = None
    lead_ids: list[str]
    team_ids: list[str]
    resolved: bool
    kept_lead_id: str | None


def lead_view(
    row: dict[str, Any], points: list[dict[str, Any]], conversations: list[dict[str, Any]], router_url: str
) -> LeadView:
    return LeadView(
        lead_id=str(row["lead_id"]),
        status=row["status"],
        merged_into=str(row["merged_into"]) if row["merged_into"] else None,
        name=row["name"],
        mobile=row["customer_phone"],
        whatsapp_user_id=row.get("whatsapp_user_id"),
        whatsapp_username=row.get("whatsapp_username"),
        phone=row["phone"],
        email=row["email"],
        vehicle_of_interest=row["vehicle_of_interest"],
        notes=row["notes"],
        responsible_agent=AgentView(id=row["owner_id"], name=row["owner_name"]),
        team_id=row["team_id"],
        created_at=row["created_at"],
        temperature=TemperatureView(
            value=row["temperature"],
            reasons=list(row["temperature_reasons"] or []),
            changed_at=row["temperature_changed_at"],
        ),
        conversion_points=points,
        conversations=[
            ConversationView(
                conversation_id=str(c["conversation_id"]),
                open=c["open"],
                business_phone_number_id=c["phone_number_id"],
                business_display_number=c["business_display_number"],
                opened_at=c["opened_at"],
                last_customer_message_at=c["last_customer_message_at"],
                link=conversation_link(router_url, str(c["conversation_id"])),
            )
            for c in conversations
        ],
    )
