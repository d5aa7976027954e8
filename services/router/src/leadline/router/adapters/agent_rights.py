"""What each agent may do, from the router's own directory tables: the rights ``leadline.platform.access`` checks.

The router holds the account directory, so it reads it rather than a projection of its own events. An account's
agents' rights are kept in memory and forgotten on the directory's own events: every replica's live feed reads the
integration topic and calls ``forget`` for each change (``LiveFeed.follow_directory``), and the replica that made a
change forgets at once (the admin API). The memory is trusted only while the feed is following the topic
(``follow``/``unfollow``, from the feed's own start and stop): otherwise each lookup reads the tables, so an outage
of the broker never leaves a change unseen.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadline.platform.access import AgentRights, without_retired_teams
from leadline.platform.tokens import Role

from .account_cache import AccountCache
from .account_tables import agents, teams


class DirectoryRights:
    """``RightsSource`` for the router's ``Access``; ``of_account`` for the live feed, which judges every stream of an account.

    Invariants: an agent's rights count only their active teams (a retired team gives no pool), as every service's are;
    rights read before a ``forget`` (or while not following) are never kept.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], cache: AccountCache | None = None) -> None:
        self._sessions = sessions
        self._cache = cache or AccountCache()
        self._following = False
        self._generation = 0  # bumped by every forget: a read that began before it is not kept

    @property
    def following(self) -> bool:
        """Whether rights read now may be kept (the feed follows every directory change)."""
        return self._following

    def follow(self) -> None:
        """The feed reads every directory change from now on: what is read from here may be kept."""
        self.forget()
        self._following = True

    def unfollow(self) -> None:
        """Changes may go unseen (the feed stopped): forget everything and read the tables every time."""
        self._following = False
        self.forget()

    def forget(self, account_id: str | None = None) -> None:
        self._generation += 1
        if account_id is None:
            self._cache.rights.clear()
        else:
            self._cache.rights.pop(account_id, None)

    async def rights(self, account_id: str, agent_id: str) -> AgentRights | None:
        """An agent not in memory is looked for in the tables: one created a moment ago is let in on every replica."""
        cached = self._cache.rights.get(account_id) if self._following else None
        if cached is not None and agent_id in cached:
            return cached[agent_id]
        async with self._sessions() as session:
            return (await self.of_account(session, account_id, fresh=True)).get(agent_id)

    async def of_account(
        self, session: AsyncSession, account_id: str, *, fresh: bool = False
    ) -> Mapping[str, AgentRights]:
        cached = self._cache.rights.get(account_id) if self._following and not fresh else None
        if cached is not None:
            return cached
        generation = self._generation
        retired = set(
            await session.scalars(
                select(teams.c.team_id).where(teams.c.account_id == account_id, teams.c.active.is_(False))
            )
        )
        rows = await session.execute(select(agents).where(agents.c.account_id == account_id))
        rights = {
            row.agent_id: without_retired_teams(
                AgentRights(row.name, Role(row.role), frozenset(row.team_ids), row.active), retired
            )
            for row in rows
        }
        if self._following and generation == self._generation:
            self._cache.rights[account_id] = rights
        return rights
