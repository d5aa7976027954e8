"""Who acts: agents with a role and teams, and an account's configuration (numbers, teams, settings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum


class Role(StrEnum):
    ATTENDANT = "attendant"
    SELLER = "seller"
    ADMIN = "admin"


@dataclass(frozen=True)
class Agent:
    id: str
    name: str
    role: Role
    team_ids: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


class Provider(StrEnum):
    """How a business number reaches WhatsApp; the channel's rules follow from it."""

    CLOUD_API = "cloud_api"
    """Meta's Cloud API: templates and the 24-hour customer service window apply."""
    EVOLUTION = "evolution"
    """An Evolution API instance (the number's WhatsApp Web session): no templates, no 24-hour window."""


@dataclass(frozen=True)
class EvolutionInstance:
    """Where an Evolution API instance answers; ``api_key_secret`` names the secret holding its key, never the key."""

    base_url: str
    instance: str
    api_key_secret: str


@dataclass(frozen=True)
class BusinessNumber:
    phone_number_id: str
    display_number: str
    name: str
    team_ids: frozenset[str]
    waba_id: str | None = None
    """The WhatsApp Business Account owning the number (and its approved templates); None when not configured."""
    provider: Provider = Provider.CLOUD_API
    evolution: EvolutionInstance | None = None
    """Given exactly when ``provider`` is ``evolution``."""

    @property
    def has_templates_and_service_window(self) -> bool:
        """Only the Cloud API has approved templates and the 24-hour customer service window."""
        return self.provider is Provider.CLOUD_API

    def __post_init__(self) -> None:
        if (self.provider is Provider.EVOLUTION) != (self.evolution is not None):
            raise ValueError("an Evolution number names its instance, and only an Evolution number does")


class ProcessType(IntEnum):
    """How an account works its leads (the product's "Processo 1" and "Processo 2"; the number is the wire value)."""

    ONE_OWNER = 1  # whoever claimed the conversation answers it alone
    OWNER_AND_ATTENDANT = 2  # a lead's attendant and its seller both see and answer its conversations


@dataclass(frozen=True)
class AccountSettings:
    process_type: ProcessType = ProcessType.ONE_OWNER
    lead_unification: bool = True
    pool_wait_alert_seconds: int = 300


@dataclass(frozen=True)
class Account:
    id: str
    numbers: dict[str, BusinessNumber] = field(default_factory=dict)
    settings: AccountSettings = AccountSettings()

    def teams_linked_to(self, phone_number_id: str) -> frozenset[str]:
        number = self.numbers.get(phone_number_id)
        return number.team_ids if number else frozenset()

    def numbers_for_team(self, team_id: str) -> list[BusinessNumber]:
        return sorted((n for n in self.numbers.values() if team_id in n.team_ids), key=lambda n: n.phone_number_id)
