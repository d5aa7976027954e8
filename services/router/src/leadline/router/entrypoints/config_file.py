"""Account configuration documents (YAML or JSON), an input of the router like its HTTP API: the models that check
them and the loader that applies them through ``service.configuration``.

A file holds ``accounts``, each keyed by its id; inside, teams, numbers and agents are keyed by theirs,
so an error names the entry it is about (``accounts.acme-motors.agents.carla.role``). Keys may not
repeat: YAML would otherwise keep the last one silently.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from leadline.events import Envelope
from leadline.events.common import (
    AgentId,
    DisplayPhoneNumber,
    ExternalId,
    PersonName,
    PhoneNumberId,
    TeamId,
    WhatsAppBusinessAccountId,
)

from ..domain.agents import AccountSettings, Agent, BusinessNumber, EvolutionInstance, Provider, Role
from ..service.configuration import AccountConfiguration, AgentRecord, Clock, Team, UowFactory, apply_configuration


class ConfigurationFileError(ValueError):
    """A document that cannot be applied; ``problems`` name each bad entry by its path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source} is not a valid account configuration:\n" + "\n".join(f"  - {p}" for p in problems))
        self.source = source
        self.problems = problems


class _Entry(BaseModel):
    # numbers written bare in YAML (ids, display numbers) are read as the digits they are
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True, use_attribute_docstrings=True)


class SettingsEntry(_Entry):
    process_type: Literal[1, 2] = 1
    """The dealership's sales process (2: a lead's attendant and seller both see and answer it)."""
    lead_unification: bool = True
    """Whether a customer's new conversations attach to their existing lead."""
    pool_wait_alert_seconds: int = Field(300, gt=0, le=2**31 - 1)  # an int4 column: more was a 500 from the admin API
    """How long a conversation may wait in a pool before an alert."""


class TeamEntry(_Entry):
    name: PersonName
    active: bool = True


class EvolutionEntry(_Entry):
    """An Evolution API instance; its API key is read by ingest from the secret named here, never written here."""

    base_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2048)]
    """The Evolution API server (``https://evolution.example.com``)."""
    instance: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    """The instance's name in Evolution (its webhooks name it as ``instance``)."""
    api_key_secret: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$")]
    """The name of the key, in ingest's Evolution API keys secret, holding the instance's API key."""


class NumberEntry(_Entry):
    display_number: DisplayPhoneNumber
    name: PersonName
    """The verified business name customers see."""
    teams: list[TeamId] = Field(min_length=1)
    """The teams whose pools receive this number's new conversations."""
    waba_id: WhatsAppBusinessAccountId | None = None
    """The WhatsApp Business Account the number belongs to, where its approved templates are read (Meta's
    Business Manager shows it; the entries of Meta's webhooks carry it as ``entry[].id``)."""
    provider: Provider = Provider.CLOUD_API
    """``cloud_api`` (Meta's Cloud API) or ``evolution`` (an Evolution API instance, with ``evolution`` below)."""
    evolution: EvolutionEntry | None = None
    """The number's Evolution API instance: required for ``provider: evolution``, refused for any other."""

    @model_validator(mode="after")
    def _evolution_numbers_name_their_instance(self) -> NumberEntry:
        if self.provider is Provider.EVOLUTION and self.evolution is None:
            raise ValueError("provider 'evolution' needs `evolution:` with base_url, instance and api_key_secret")
        if self.provider is not Provider.EVOLUTION and self.evolution is not None:
            raise ValueError(f"`evolution:` is only for provider 'evolution', not {self.provider.value!r}")
        return self

    def to_number(self, phone_number_id: str) -> BusinessNumber:
        return BusinessNumber(
            phone_number_id=phone_number_id,
            display_number=self.display_number,
            name=self.name,
            team_ids=frozenset(self.teams),
            waba_id=self.waba_id,
            provider=self.provider,
            evolution=EvolutionInstance(**self.evolution.model_dump()) if self.evolution else None,
        )

    @classmethod
    def of(cls, number: BusinessNumber) -> NumberEntry:
        return cls(
            display_number=number.display_number,
            name=number.name,
            teams=sorted(number.team_ids),
            waba_id=number.waba_id,
            provider=number.provider,
            evolution=EvolutionEntry(**asdict(number.evolution)) if number.evolution else None,
        )


class AgentEntry(_Entry):
    name: PersonName
    role: Role
    teams: list[TeamId] = []
    active: bool = True
    """False once the agent left: they keep their history but can no longer claim."""


class AccountDocument(_Entry):
    """One account's whole configuration; teams, numbers and agents it does not name are left as they are."""

    account_id: ExternalId | None = None
    """Optional; when given it must be the account the document is applied to."""
    settings: SettingsEntry | None = None
    teams: dict[TeamId, TeamEntry] = {}
    numbers: dict[PhoneNumberId, NumberEntry] = {}
    agents: dict[AgentId, AgentEntry] = {}

    @model_validator(mode="after")
    def _teams_are_defined(self) -> AccountDocument:
        users = [(f"numbers.{key}", entry.teams) for key, entry in self.numbers.items()]
        users += [(f"agents.{key}", entry.teams) for key, entry in self.agents.items()]
        defined = ", ".join(sorted(self.teams)) or "none"
        problems = [
            f"{where}.teams names {team!r}, which is not among this account's teams ({defined})"
            for where, team_ids in users
            for team in team_ids
            if team not in self.teams
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def to_configuration(self, account_id: str) -> AccountConfiguration:
        return AccountConfiguration(
            account_id=account_id,
            settings=AccountSettings(**self.settings.model_dump()) if self.settings else None,
            teams=tuple(Team(id=key, name=entry.name, active=entry.active) for key, entry in self.teams.items()),
            numbers=tuple(entry.to_number(key) for key, entry in self.numbers.items()),
            agents=tuple(
                AgentRecord(
                    Agent(id=key, name=entry.name, role=entry.role, team_ids=frozenset(entry.teams)), entry.active
                )
                for key, entry in self.agents.items()
            ),
        )

    @classmethod
    def from_configuration(cls, configuration: AccountConfiguration) -> AccountDocument:
        settings = configuration.settings
        return cls(
            account_id=configuration.account_id,
            settings=SettingsEntry(**asdict(settings)) if settings else None,
            teams={team.id: TeamEntry(name=team.name, active=team.active) for team in configuration.teams},
            numbers={number.phone_number_id: NumberEntry.of(number) for number in configuration.numbers},
            agents={
                record.agent.id: AgentEntry(
                    name=record.agent.name,
                    role=record.agent.role,
                    teams=sorted(record.agent.team_ids),
                    active=record.active,
                )
                for record in configuration.agents
            },
        )


class ConfigurationFile(_Entry):
    accounts: dict[ExternalId, AccountDocument] = Field(min_length=1)

    @model_validator(mode="after")
    def _account_ids_match_their_keys(self) -> ConfigurationFile:
        for key, document in self.accounts.items():
            if document.account_id not in (None, key):
                raise ValueError(
                    f"accounts.{key}.account_id is {document.account_id!r}: it must be {key!r} or left out"
                )
        return self

    def configurations(self) -> list[AccountConfiguration]:
        return [document.to_configuration(key) for key, document in self.accounts.items()]


def problems_of(error: ValidationError) -> list[str]:
    """Each validation problem as ``path.to.entry: what is wrong``."""
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        problems.append(f"{where or 'the document'}: {message}")
    return problems


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key written twice in one mapping."""


def _mapping_without_repeats(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"key {key!r} appears twice", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_repeats)


def read_document(text: str | bytes, *, source: str, media_type: str = "application/yaml") -> Any:
    """The document's data: JSON for a JSON media type, YAML (safe, no repeated keys) otherwise."""
    try:
        if "json" in media_type:
            return json.loads(text)
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, ValueError) as error:
        raise ConfigurationFileError(
            source, [f"not valid {'JSON' if 'json' in media_type else 'YAML'}: {error}"]
        ) from None


def parse_configuration(text: str | bytes, *, source: str = "configuration") -> list[AccountConfiguration]:
    """The accounts a configuration file describes; raises ``ConfigurationFileError`` naming every bad entry."""
    data = read_document(text, source=source)
    if data is None:
        raise ConfigurationFileError(source, ["the document is empty: it should hold `accounts:`"])
    try:
        return ConfigurationFile.model_validate(data).configurations()
    except ValidationError as error:
        raise ConfigurationFileError(source, problems_of(error)) from None


def load_configuration_file(path: str | Path) -> list[AccountConfiguration]:
    return parse_configuration(Path(path).read_text(encoding="utf-8"), source=str(path))


async def apply_configuration_file(path: str | Path, *, uow: UowFactory, clock: Clock) -> list[Envelope]:
    """Apply every account in the file, one transaction each; returns the events (none when nothing changed)."""
    emitted: list[Envelope] = []
    for configuration in load_configuration_file(path):
        emitted += await apply_configuration(configuration, uow=uow, clock=clock)
    return emitted
