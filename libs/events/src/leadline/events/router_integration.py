"""Payloads router produces about an account's setup: business numbers, agents, teams, settings.

Stream: ``account:{account_id}`` — one stream per account, so a consumer replaying it
rebuilds the account's configuration in order. Upserts carry the whole current
state, so the latest event per entity is all a consumer needs.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import Field, StringConstraints, model_validator

from leadline.events.common import (
    AgentId,
    DisplayPhoneNumber,
    PersonName,
    PhoneNumberId,
    TeamId,
    WhatsAppBusinessAccountId,
    account_stream_id,
)
from leadline.events.envelope import Payload

BUSINESS_NUMBER_REGISTERED: Final = "router.integration.business_number_registered"
AGENT_UPSERTED: Final = "router.integration.agent_upserted"
TEAM_UPSERTED: Final = "router.integration.team_upserted"
ACCOUNT_SETTINGS_CHANGED: Final = "router.integration.account_settings_changed"


class AgentRole(StrEnum):
    ATTENDANT = "attendant"
    """Answers new conversations and qualifies them into leads."""
    SELLER = "seller"
    """Owns leads and sells."""
    ADMIN = "admin"
    """Configures the account; sees every team."""


class _AccountEvent(Payload):
    """A fact about an account's configuration; the account is the stream."""

    def stream_id(self, account_id: str) -> str:
        return account_stream_id(account_id)


class NumberProvider(StrEnum):
    """How a business number reaches WhatsApp."""

    CLOUD_API = "cloud_api"
    """Meta's WhatsApp Cloud API: templates, the 24-hour customer service window, webhooks signed by Meta."""
    EVOLUTION = "evolution"
    """An Evolution API (v2) instance: the number's WhatsApp Web session; no templates and no 24-hour window."""


class EvolutionInstanceV1(Payload):
    """Where an Evolution API instance answers, and the name of the secret holding its API key (never the key)."""

    base_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2048)]
    """The Evolution API server (``https://evolution.example.com``); its routes take the instance name after it."""
    instance: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    """The instance's name in Evolution; webhooks name it as ``instance``."""
    api_key_secret: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$")]
    """The name of the secret (a key of ingest's Evolution API keys secret) holding the instance's API key."""


class BusinessNumberRegisteredV1(_AccountEvent):
    """A WhatsApp business number was connected to the account and linked to teams.

    Re-registering a number replaces its name and team links.
    """

    EVENT_TYPE = BUSINESS_NUMBER_REGISTERED

    phone_number_id: PhoneNumberId
    display_phone_number: DisplayPhoneNumber
    name: PersonName
    """The verified business name customers see."""
    team_ids: tuple[TeamId, ...]
    """The teams whose pools receive this number's new conversations."""
    waba_id: WhatsAppBusinessAccountId | None = None
    """The WhatsApp Business Account the number belongs to: where its approved templates are read. None: not told."""
    provider: NumberProvider = NumberProvider.CLOUD_API
    """How the number reaches WhatsApp (added compatibly: producers before it meant the Cloud API)."""
    evolution: EvolutionInstanceV1 | None = None
    """The number's Evolution API instance: given exactly when ``provider`` is ``evolution``."""

    @model_validator(mode="after")
    def _evolution_numbers_name_their_instance(self) -> BusinessNumberRegisteredV1:
        if (self.provider is NumberProvider.EVOLUTION) != (self.evolution is not None):
            raise ValueError("evolution is required for provider 'evolution' and not allowed for any other provider")
        return self


class AgentUpsertedV1(_AccountEvent):
    """An agent was created or changed in the CRM; this is their whole current state."""

    EVENT_TYPE = AGENT_UPSERTED

    agent_id: AgentId
    name: PersonName
    role: AgentRole
    team_ids: tuple[TeamId, ...]
    active: bool = True
    """False once the agent left: they keep their history but can no longer claim."""


class TeamUpsertedV1(_AccountEvent):
    """A team was created or changed in the CRM; this is its whole current state."""

    EVENT_TYPE = TEAM_UPSERTED

    team_id: TeamId
    name: PersonName
    active: bool = True


class AccountSettingsChangedV1(_AccountEvent):
    """The account's inbox settings changed; this is the whole current set."""

    EVENT_TYPE = ACCOUNT_SETTINGS_CHANGED

    process_type: Literal[1, 2]
    """The dealership's sales process as configured in the CRM (type 1 or type 2)."""
    lead_unification: bool
    """Whether a customer's new conversations attach to their existing lead."""
    pool_wait_alert_seconds: int = Field(gt=0)
    """How long a conversation may wait in a pool before ``pool_wait_exceeded``."""


PAYLOADS: tuple[type[Payload], ...] = (
    BusinessNumberRegisteredV1,
    AgentUpsertedV1,
    TeamUpsertedV1,
    AccountSettingsChangedV1,
)
