"""What each agent may do, from the router's own directory tables: the rights ``leadline.platform.access`` checks.

The router holds the account directory, so it reads it rather than a projection of its own events: a change is in
force for the next request on every replica, the moment it commits. The rights of an account's agents are kept in
memory while the account's ``config_version`` (bumped by every configuration change, in the same transaction) is
the one they were read at, so a request costs a one-column read and the tables are read again only after a change.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.platform.access import AgentRights
from leadline.platform.tokens import Role

from .account_cache import AccountCache
from .account_tables import accounts, agents, teams


class DirectoryRights:
    """``RightsSource`` for the router's ``Access``; ``of_account`` for the live feed, which judges every stream of an account.

    Invariant: an agent's rights count only their active teams (a retired team gives no pool), as every service's are.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], cache: AccountCache | None = None) -> None:
        self._sessions = sessions
        self._cache = cache or AccountCache()

    async def rights(self, account_id: str, agent_id: str) -> AgentRights | None:
        async with self._sessions() as session:
            return (await self.of_account(session, account_id)).get(agent_id)

    async def of_account(self, session: AsyncSession, account_id: str) -> Mapping[str, AgentRights]:
        version = await session.scalar(select(accounts.c.config_version).where(accounts.c.account_id == account_id))
        if version is None:
            return {}
        cached = self._cache.rights.get(account_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        retired = set(await session.scalars(
            select(teams.c.team_id).where(teams.c.account_id == account_id, teams.c.active.is_(False))))
        rows = await session.execute(select(agents).where(agents.c.account_id == account_id))
        rights = {row.agent_id: AgentRights(row.name, Role(row.role), frozenset(row.team_ids) - retired, row.active)
                  for row in rows}
        self._cache.rights[account_id] = (version, rights)
        return rights
