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


@dataclass(frozen=True)
class BusinessNumber:
    phone_number_id: str
    display_number: str
    name: str
    team_ids: frozenset[str]
    waba_id: str | None = None
    """The WhatsApp Business Account owning the number (and its approved templates); None when not configured."""


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
