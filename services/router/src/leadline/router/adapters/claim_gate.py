"""The claim gate: a late claim is refused from one row, read on its own outside any unit of work.

One statement in autocommit: the conversation's claim state from ``conversation_view``, the account's
``config_version``, and whether a claimer is deciding the conversation right now — with no session and no transaction
around it, so a refusal costs one round trip. The account comes from the memory the units of work share
(``AccountCache``), read again only after a configuration change.

Claimers of an unowned conversation take turns on a claim-only advisory lock keyed by the conversation. The one that
gets it (``take_claim_turn``: a *try*, in its unit of work's transaction, so nobody ever queues for it exclusively)
decides; the others wait on the same lock *shared* (``after_claim_turn``: its own autocommit statement, released as
soon as it is granted) and then all read at once what the decider left, instead of each loading the conversation,
appending in vain and deciding again, or being refused one after another. Nothing else takes this lock, so it joins
no cycle.

Within one process the turn is taken once: while a claim of the conversation is being decided here (``deciding``),
the process's other claimers do not try the lock at all; they wait for that decision in memory, and then share one
wait and one read (a wait is joined only until it is granted, so a read never began before its waiter came).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Row, Text, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from ..domain.agents import Account
from ..service.ports import ClaimState, CommittedClaim
from .account_cache import AccountCache
from .account_directory import SqlAccountDirectory
from .account_tables import accounts
from .queries import is_uuid
from .tables import conversation_view

VIEW = conversation_view.c
#: The advisory lock key of a conversation's claim turn (``claim:<conversation id>``).
TURN = func.hashtextextended(bindparam("turn", type_=Text), 0)
#: The statements are built once: building one per claim would cost more CPU than its round trip.
TAKE_TURN = select(func.pg_try_advisory_xact_lock(TURN))
WAIT_FOR_TURN = select(func.pg_advisory_xact_lock_shared(TURN))
READ = select(
    VIEW.account_id,
    VIEW.owner_id,
    VIEW.owner_name,
    VIEW.pool_team_ids,
    VIEW.collaborator_ids,
    VIEW.was_in_pool,
    select(accounts.c.config_version)
    .where(accounts.c.account_id == bindparam("account_id"))
    .scalar_subquery()
    .label("config_version"),
    # a shared try fails only while a claimer holds the turn; autocommit releases it with the statement
    func.pg_try_advisory_xact_lock_shared(TURN).label("nobody_deciding"),
).where(VIEW.conversation_id == bindparam("conversation_id"))


def _turn(conversation_id: str) -> dict[str, str]:
    return {"turn": f"claim:{conversation_id}"}


async def take_claim_turn(session: AsyncSession, conversation_id: str) -> bool:
    """The turn to decide this conversation's claim, held to the end of the session's transaction; False when
    another claimer holds it (wait with ``SqlClaimGate.after_claim_turn``)."""
    return bool(await session.scalar(TAKE_TURN, _turn(conversation_id)))


class SqlClaimGate:
    """``ClaimGate`` over the service's engine (autocommit statements) and the account memory of its units of work."""

    def __init__(self, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], cache: AccountCache) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._sessions = sessions
        self._cache = cache
        self._deciding: dict[str, asyncio.Event] = {}  # conversation → set when this process's decider is done
        self._waits: dict[tuple[str, str], asyncio.Task[CommittedClaim | None]] = {}  # waits not yet granted

    @asynccontextmanager
    async def deciding(self, conversation_id: str) -> AsyncIterator[bool]:
        if conversation_id in self._deciding:
            yield False
            return
        done = self._deciding[conversation_id] = asyncio.Event()
        try:
            yield True
        finally:
            del self._deciding[conversation_id]
            done.set()

    async def committed(self, conversation_id: str, account_id: str) -> CommittedClaim | None:
        if not is_uuid(conversation_id):
            return None
        async with self._engine.connect() as connection:
            row = await self._row(connection, conversation_id, account_id)
        return await self._claim(row, account_id)  # after the connection is back: the account may need one

    async def after_claim_turn(self, conversation_id: str, account_id: str) -> CommittedClaim | None:
        local = self._deciding.get(conversation_id)
        if local is not None:
            await local.wait()
        key = (conversation_id, account_id)
        wait = self._waits.get(key)
        if wait is None:
            wait = self._waits[key] = asyncio.create_task(self._wait_and_read(key))
        return await asyncio.shield(wait)  # a waiter that gives up does not cancel the others' wait

    async def _wait_and_read(self, key: tuple[str, str]) -> CommittedClaim | None:
        conversation_id, account_id = key
        try:
            async with self._engine.connect() as connection:
                # granted once the decider's transaction has ended; the read must be a statement of its own (a
                # statement sees what was committed when it began, not when its lock was granted)
                await connection.execute(WAIT_FOR_TURN, _turn(conversation_id))
                self._no_longer_joinable(key)  # who comes now waits anew: this read may have begun before them
                row = await self._row(connection, conversation_id, account_id)
        finally:
            self._no_longer_joinable(key)
        return await self._claim(row, account_id)

    def _no_longer_joinable(self, key: tuple[str, str]) -> None:
        if self._waits.get(key) is asyncio.current_task():
            del self._waits[key]

    async def _row(self, connection: AsyncConnection, conversation_id: str, account_id: str) -> Row | None:
        params = {"conversation_id": conversation_id, "account_id": account_id, **_turn(conversation_id)}
        return (await connection.execute(READ, params)).first()

    async def _claim(self, row: Row | None, account_id: str) -> CommittedClaim | None:
        if row is None:
            return None
        state = ClaimState(
            row.account_id,
            row.owner_id,
            row.owner_name,
            frozenset(row.pool_team_ids),
            frozenset(row.collaborator_ids),
            row.was_in_pool,
        )
        account = await self._account(account_id, row.config_version)
        return CommittedClaim(state, account, being_decided=not row.nobody_deciding)

    async def _account(self, account_id: str, version: int | None) -> Account:
        cached = self._cache.entries.get(account_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        async with self._sessions() as session:  # after a configuration change only; never inside another checkout
            account = await SqlAccountDirectory(session).account(account_id)
        self._cache.entries[account_id] = (version, account)
        return account
