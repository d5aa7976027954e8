"""Account configuration kept in memory, and trusted only while its version is the committed one.

Every configuration change bumps the account's ``config_version`` in the same transaction, so one
one-column read tells whether the copy in memory is still exact: never stale, whichever replica
changed it, and the numbers, teams and settings are read again only after a change. Within one transaction (a
batch lane decides many messages in one) the version and a number's account are read once: configuration changes
in transactions of their own, so one transaction deciding with what it read first decides as if a moment earlier.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadline.platform.access import AgentRights

from ..domain.agents import Account, Agent
from .account_tables import accounts


class AccountCache:
    """The account with the configuration version it was read at; its agents' rights, kept until the directory's
    next event about the account (``agent_rights``)."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[int | None, Account]] = {}
        self.rights: dict[str, Mapping[str, AgentRights]] = {}

    def forget(self, account_id: str | None = None) -> None:
        if account_id is None:
            self.entries.clear()
            self.rights.clear()
        else:
            self.entries.pop(account_id, None)
            self.rights.pop(account_id, None)


class CachedAccountDirectory:
    """``AccountDirectory`` reading through the cache; everything else goes to the SQL directory."""

    def __init__(self, directory, cache: AccountCache, session: AsyncSession) -> None:
        self._directory = directory
        self._cache = cache
        self._session = session

    async def account(self, account_id: str) -> Account:
        read = self._read_in_transaction()
        if ("account", account_id) in read:
            return read["account", account_id]
        version = await self._session.scalar(
            select(accounts.c.config_version).where(accounts.c.account_id == account_id)
        )
        cached = self._cache.entries.get(account_id)
        if cached is not None and cached[0] == version:
            account = cached[1]
        else:
            account = await self._directory.account(account_id)
            self._cache.entries[account_id] = (version, account)
        read["account", account_id] = account
        return account

    async def agent(self, account_id: str, agent_id: str) -> Agent | None:
        return await self._directory.agent(account_id, agent_id)

    async def account_of_number(self, phone_number_id: str) -> str | None:
        read = self._read_in_transaction()
        if ("number", phone_number_id) not in read:
            read["number", phone_number_id] = await self._directory.account_of_number(phone_number_id)
        return read["number", phone_number_id]

    def _read_in_transaction(self) -> dict[tuple[str, str], Any]:
        """What this session's current transaction read already (a new transaction starts empty)."""
        transaction = self._session.sync_session.get_transaction()
        read = self._session.info.get(_READ)
        if read is None or read[0] is not transaction:
            read = self._session.info[_READ] = (transaction, {})
        return read[1]


_READ = "router.accounts_read"
