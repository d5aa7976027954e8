"""Account configuration handlers: settings, teams, business numbers and agents, each change with its event.

Every handler is one transaction: lock the account row, compare what is asked with what is
stored, write only what differs, and stage one ``router.integration.*`` event per change on
stream ``account:{account_id}`` with the next sequence (``accounts.config_version``). Asking
for what is already there writes nothing and emits nothing, so a configuration can be applied
at every start-up. An account's stream opens with its settings (defaults included), so its
first event is always ``account_settings_changed``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog

from leadline.events import REGISTRY, Envelope
from leadline.events.envelope import Payload
from leadline.events.router_integration import (
    AccountSettingsChangedV1,
    AgentRole,
    AgentUpsertedV1,
    BusinessNumberRegisteredV1,
    EvolutionInstanceV1,
    NumberProvider,
    TeamUpsertedV1,
)

from ..domain.agents import AccountSettings, Agent, BusinessNumber
from .ports import Outbox

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    active: bool = True


@dataclass(frozen=True)
class AgentRecord:
    """An agent as configured, including one who left (``active`` false: history kept, no claims)."""

    agent: Agent
    active: bool = True


@dataclass(frozen=True)
class AccountConfiguration:
    """A whole account as an administrator writes it; ``settings`` None leaves the stored ones alone.

    Teams, numbers and agents not named are left as they are: retire one with ``active`` false.
    """

    account_id: str
    settings: AccountSettings | None = None
    teams: tuple[Team, ...] = ()
    numbers: tuple[BusinessNumber, ...] = ()
    agents: tuple[AgentRecord, ...] = ()


class ConfigurationRefused(Exception):
    """A configuration change that would break an account's integrity; ``code`` is stable for API clients."""

    code = "configuration_refused"


class UnknownTeam(ConfigurationRefused):
    code = "unknown_team"

    def __init__(self, account_id: str, team_ids: Sequence[str], used_by: str) -> None:
        listed = ", ".join(repr(team_id) for team_id in sorted(team_ids))
        super().__init__(f"{used_by} names team(s) {listed}, which account {account_id!r} does not have")


class NumberOfAnotherAccount(ConfigurationRefused):
    """Meta's phone number ids are global: a number belongs to exactly one account."""

    code = "number_of_another_account"

    def __init__(self, phone_number_id: str) -> None:
        super().__init__(f"business number {phone_number_id} belongs to another account")


class AccountConfigurationStore(Protocol):
    async def lock_account(self, account_id: str) -> tuple[AccountSettings, int]:
        """The account's settings and config version, creating the account if new; held until commit."""

    async def save_settings(self, account_id: str, settings: AccountSettings) -> None: ...

    async def set_config_version(self, account_id: str, version: int) -> None: ...

    async def team(self, account_id: str, team_id: str) -> Team | None: ...

    async def missing_teams(self, account_id: str, team_ids: frozenset[str]) -> frozenset[str]: ...

    async def save_team(self, account_id: str, team: Team) -> None: ...

    async def number(self, phone_number_id: str) -> tuple[str, BusinessNumber] | None: ...

    async def save_number(self, account_id: str, number: BusinessNumber) -> None:
        """Raises ``NumberOfAnotherAccount`` when the database holds the number for another account."""

    async def agent_record(self, account_id: str, agent_id: str) -> AgentRecord | None: ...

    async def save_agent(self, account_id: str, record: AgentRecord) -> None: ...


class ConfigurationUnitOfWork(Protocol):
    accounts: AccountConfigurationStore
    outbox: Outbox

    async def __aenter__(self) -> ConfigurationUnitOfWork: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


UowFactory = Callable[[], ConfigurationUnitOfWork]


class _Changes:
    """The events of one transaction on one account, numbered from the stored config version."""

    def __init__(self, account_id: str, version: int, at: datetime) -> None:
        self.account_id, self.version, self.at = account_id, version, at
        self.envelopes: list[Envelope] = []

    def add(self, payload: Payload) -> None:
        self.version += 1
        self.envelopes.append(
            REGISTRY.encode(payload, account_id=self.account_id, sequence=self.version, occurred_at=self.at)
        )


async def _settings(
    work: ConfigurationUnitOfWork,
    changes: _Changes,
    stored: AccountSettings,
    wanted: AccountSettings,
) -> None:
    # a new account's stream opens with its settings, defaults included: consumers never guess them
    if stored == wanted and changes.version > 0:
        return
    changes.add(
        AccountSettingsChangedV1(
            process_type=wanted.process_type,
            lead_unification=wanted.lead_unification,
            pool_wait_alert_seconds=wanted.pool_wait_alert_seconds,
        )
    )
    await work.accounts.save_settings(changes.account_id, wanted)


async def _team(work: ConfigurationUnitOfWork, changes: _Changes, team: Team) -> None:
    if await work.accounts.team(changes.account_id, team.id) == team:
        return
    changes.add(TeamUpsertedV1(team_id=team.id, name=team.name, active=team.active))
    await work.accounts.save_team(changes.account_id, team)


async def _teams_exist(work: ConfigurationUnitOfWork, account_id: str, team_ids: frozenset[str], used_by: str) -> None:
    missing = await work.accounts.missing_teams(account_id, team_ids)
    if missing:
        raise UnknownTeam(account_id, sorted(missing), used_by)


async def _number(work: ConfigurationUnitOfWork, changes: _Changes, number: BusinessNumber) -> None:
    stored = await work.accounts.number(number.phone_number_id)
    if stored is not None and stored[0] != changes.account_id:
        raise NumberOfAnotherAccount(number.phone_number_id)
    await _teams_exist(work, changes.account_id, number.team_ids, f"business number {number.phone_number_id}")
    if stored is not None and stored[1] == number:
        return
    changes.add(
        BusinessNumberRegisteredV1(
            phone_number_id=number.phone_number_id,
            display_phone_number=number.display_number,
            name=number.name,
            team_ids=tuple(sorted(number.team_ids)),
            waba_id=number.waba_id,
            provider=NumberProvider(number.provider.value),
            evolution=None
            if number.evolution is None
            else EvolutionInstanceV1(
                base_url=number.evolution.base_url,
                instance=number.evolution.instance,
                api_key_secret=number.evolution.api_key_secret,
            ),
        )
    )
    await work.accounts.save_number(changes.account_id, number)


async def _agent(work: ConfigurationUnitOfWork, changes: _Changes, record: AgentRecord) -> None:
    agent = record.agent
    await _teams_exist(work, changes.account_id, agent.team_ids, f"agent {agent.id!r}")
    if await work.accounts.agent_record(changes.account_id, agent.id) == record:
        return
    changes.add(
        AgentUpsertedV1(
            agent_id=agent.id,
            name=agent.name,
            role=AgentRole(agent.role.value),
            team_ids=tuple(sorted(agent.team_ids)),
            active=record.active,
        )
    )
    await work.accounts.save_agent(changes.account_id, record)


async def apply_configuration(configuration: AccountConfiguration, *, uow: UowFactory, clock: Clock) -> list[Envelope]:
    """Settings, then teams, then numbers and agents (which name teams), in one transaction; returns the events."""
    account_id = configuration.account_id
    async with uow() as work:
        stored_settings, version = await work.accounts.lock_account(account_id)
        changes = _Changes(account_id, version, clock())
        await _settings(work, changes, stored_settings, configuration.settings or stored_settings)
        for team in configuration.teams:
            await _team(work, changes, team)
        for number in configuration.numbers:
            await _number(work, changes, number)
        for record in configuration.agents:
            await _agent(work, changes, record)
        if changes.envelopes:
            await work.accounts.set_config_version(account_id, changes.version)
            await work.outbox.stage(changes.envelopes)
        await work.commit()
    if changes.envelopes:
        log.info(
            "account configuration changed",
            account_id=account_id,
            config_version=changes.version,
            events=[envelope.type for envelope in changes.envelopes],
        )
    return changes.envelopes


async def register_business_number(
    account_id: str,
    number: BusinessNumber,
    *,
    uow: UowFactory,
    clock: Clock,
) -> list[Envelope]:
    """Connect a WhatsApp number to the account (or relink it); its teams must exist."""
    return await apply_configuration(AccountConfiguration(account_id, numbers=(number,)), uow=uow, clock=clock)


async def upsert_team(account_id: str, team: Team, *, uow: UowFactory, clock: Clock) -> list[Envelope]:
    return await apply_configuration(AccountConfiguration(account_id, teams=(team,)), uow=uow, clock=clock)


async def upsert_agent(
    account_id: str,
    agent: Agent,
    *,
    active: bool = True,
    uow: UowFactory,
    clock: Clock,
) -> list[Envelope]:
    """Create or change an agent; their teams must exist. ``active`` False: they left and can no longer claim."""
    configuration = AccountConfiguration(account_id, agents=(AgentRecord(agent, active),))
    return await apply_configuration(configuration, uow=uow, clock=clock)


async def change_account_settings(
    account_id: str,
    settings: AccountSettings,
    *,
    uow: UowFactory,
    clock: Clock,
) -> list[Envelope]:
    return await apply_configuration(AccountConfiguration(account_id, settings=settings), uow=uow, clock=clock)
