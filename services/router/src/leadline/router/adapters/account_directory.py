"""The account directory over SQL: reads an account's numbers, settings and agents; writes its configuration."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadline.platform.unit_of_work import SessionOutbox, SessionUnitOfWork

from ..domain.agents import (
    Account,
    AccountSettings,
    Agent,
    BusinessNumber,
    EvolutionInstance,
    ProcessType,
    Provider,
    Role,
)
from ..service.configuration import AccountConfiguration, AgentRecord, NumberOfAnotherAccount, Team
from .account_tables import accounts, agents, business_numbers, teams


def _settings(row) -> AccountSettings:
    return AccountSettings(
        process_type=ProcessType(row.process_type),
        lead_unification=row.lead_unification,
        pool_wait_alert_seconds=row.pool_wait_alert_seconds,
    )


def _number(row) -> BusinessNumber:
    return BusinessNumber(
        phone_number_id=row.phone_number_id,
        display_number=row.display_number,
        name=row.name,
        team_ids=frozenset(row.team_ids),
        waba_id=row.waba_id,
        provider=Provider(row.provider),
        evolution=None
        if row.evolution_instance is None
        else EvolutionInstance(row.evolution_base_url, row.evolution_instance, row.evolution_api_key_secret),
    )


def _agent_record(row) -> AgentRecord:
    return AgentRecord(
        Agent(id=row.agent_id, name=row.name, role=Role(row.role), team_ids=frozenset(row.team_ids)), active=row.active
    )


class SqlAccountDirectory:
    """``AccountDirectory`` and ``AccountConfigurationStore`` in the caller's session (and transaction).

    Invariant held by the database: ``business_numbers.phone_number_id`` is the key, so a number is
    saved for one account only; saving it for another changes nothing and raises.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def account(self, account_id: str) -> Account:
        """The account with its numbers and settings; an account never configured has the defaults."""
        row = (await self._session.execute(select(accounts).where(accounts.c.account_id == account_id))).first()
        numbers = (
            await self._session.execute(select(business_numbers).where(business_numbers.c.account_id == account_id))
        ).all()
        return Account(
            id=account_id,
            numbers={number.phone_number_id: number for number in map(_number, numbers)},
            settings=_settings(row) if row is not None else AccountSettings(),
        )

    async def agent(self, account_id: str, agent_id: str) -> Agent | None:
        """The agent if they are active in this account; an agent who left is nobody to the router."""
        record = await self.agent_record(account_id, agent_id)
        return record.agent if record is not None and record.active else None

    async def account_of_number(self, phone_number_id: str) -> str | None:
        return await self._session.scalar(
            select(business_numbers.c.account_id).where(business_numbers.c.phone_number_id == phone_number_id)
        )

    async def configuration(self, account_id: str) -> tuple[AccountConfiguration, int]:
        """Everything configured for the account, ordered by id, and its config version (0: never configured)."""
        row = (await self._session.execute(select(accounts).where(accounts.c.account_id == account_id))).first()
        team_rows = await self._session.execute(
            select(teams).where(teams.c.account_id == account_id).order_by(teams.c.team_id)
        )
        number_rows = await self._session.execute(
            select(business_numbers)
            .where(business_numbers.c.account_id == account_id)
            .order_by(business_numbers.c.phone_number_id)
        )
        agent_rows = await self._session.execute(
            select(agents).where(agents.c.account_id == account_id).order_by(agents.c.agent_id)
        )
        configuration = AccountConfiguration(
            account_id=account_id,
            settings=_settings(row) if row is not None else AccountSettings(),
            teams=tuple(Team(id=team.team_id, name=team.name, active=team.active) for team in team_rows),
            numbers=tuple(map(_number, number_rows)),
            agents=tuple(map(_agent_record, agent_rows)),
        )
        return configuration, row.config_version if row is not None else 0

    # -- writes: the configuration service's store, always inside the transaction that locked the account

    async def lock_account(self, account_id: str) -> tuple[AccountSettings, int]:
        await self._session.execute(pg_insert(accounts).values(account_id=account_id).on_conflict_do_nothing())
        row = (
            await self._session.execute(select(accounts).where(accounts.c.account_id == account_id).with_for_update())
        ).one()
        return _settings(row), row.config_version

    async def save_settings(self, account_id: str, settings: AccountSettings) -> None:
        await self._session.execute(
            update(accounts)
            .where(accounts.c.account_id == account_id)
            .values(
                process_type=settings.process_type,
                lead_unification=settings.lead_unification,
                pool_wait_alert_seconds=settings.pool_wait_alert_seconds,
            )
        )

    async def set_config_version(self, account_id: str, version: int) -> None:
        await self._session.execute(
            update(accounts).where(accounts.c.account_id == account_id).values(config_version=version)
        )

    async def team(self, account_id: str, team_id: str) -> Team | None:
        row = (
            await self._session.execute(
                select(teams).where(teams.c.account_id == account_id, teams.c.team_id == team_id)
            )
        ).first()
        return None if row is None else Team(id=row.team_id, name=row.name, active=row.active)

    async def missing_teams(self, account_id: str, team_ids: frozenset[str]) -> frozenset[str]:
        if not team_ids:
            return frozenset()
        found = await self._session.scalars(
            select(teams.c.team_id).where(teams.c.account_id == account_id, teams.c.team_id.in_(sorted(team_ids)))
        )
        return team_ids - set(found)

    async def save_team(self, account_id: str, team: Team) -> None:
        values = {"name": team.name, "active": team.active}
        await self._session.execute(
            pg_insert(teams)
            .values(account_id=account_id, team_id=team.id, **values)
            .on_conflict_do_update(index_elements=[teams.c.account_id, teams.c.team_id], set_=values)
        )

    async def number(self, phone_number_id: str) -> tuple[str, BusinessNumber] | None:
        row = (
            await self._session.execute(
                select(business_numbers).where(business_numbers.c.phone_number_id == phone_number_id)
            )
        ).first()
        return None if row is None else (row.account_id, _number(row))

    async def save_number(self, account_id: str, number: BusinessNumber) -> None:
        values = {
            "display_number": number.display_number,
            "name": number.name,
            "team_ids": sorted(number.team_ids),
            "waba_id": number.waba_id,
            "provider": number.provider.value,
            "evolution_base_url": number.evolution.base_url if number.evolution else None,
            "evolution_instance": number.evolution.instance if number.evolution else None,
            "evolution_api_key_secret": number.evolution.api_key_secret if number.evolution else None,
        }
        statement = pg_insert(business_numbers).values(
            phone_number_id=number.phone_number_id, account_id=account_id, **values
        )
        saved = await self._session.scalar(
            statement.on_conflict_do_update(
                index_elements=[business_numbers.c.phone_number_id],
                set_=values,
                where=business_numbers.c.account_id == statement.excluded.account_id,
            ).returning(business_numbers.c.phone_number_id)
        )
        if saved is None:
            raise NumberOfAnotherAccount(number.phone_number_id)

    async def agent_record(self, account_id: str, agent_id: str) -> AgentRecord | None:
        row = (
            await self._session.execute(
                select(agents).where(agents.c.account_id == account_id, agents.c.agent_id == agent_id)
            )
        ).first()
        return None if row is None else _agent_record(row)

    async def save_agent(self, account_id: str, record: AgentRecord) -> None:
        agent = record.agent
        values = {
            "name": agent.name,
            "role": agent.role.value,
            "team_ids": sorted(agent.team_ids),
            "active": record.active,
        }
        await self._session.execute(
            pg_insert(agents)
            .values(account_id=account_id, agent_id=agent.id, **values)
            .on_conflict_do_update(index_elements=[agents.c.account_id, agents.c.agent_id], set_=values)
        )


class SqlConfigurationUnitOfWork(SessionUnitOfWork):
    """One transaction for one configuration change: the directory's writes and their events commit together."""

    def bind(self, session: AsyncSession) -> None:
        self.accounts = SqlAccountDirectory(session)
        self.outbox = SessionOutbox(session)
