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
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Text, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from ..domain.agents import Account
from ..service.ports import ClaimState, CommittedClaim
from .account_cache import AccountCache
from .account_directory import SqlAccountDirectory
from .account_tables import accounts
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

    async def committed(self, conversation_id: str, account_id: str) -> CommittedClaim | None:
        if not _is_uuid(conversation_id):
            return None
        async with self._engine.connect() as connection:
            return await self._read(connection, conversation_id, account_id)

    async def after_claim_turn(self, conversation_id: str, account_id: str) -> CommittedClaim | None:
        async with self._engine.connect() as connection:
            # granted once the decider's transaction has ended; the read must be a statement of its own (a statement
            # sees what was committed when it began, not when its lock was granted)
            await connection.execute(WAIT_FOR_TURN, _turn(conversation_id))
            return await self._read(connection, conversation_id, account_id)

    async def _read(self, connection: AsyncConnection, conversation_id: str, account_id: str) -> CommittedClaim | None:
        row = (
            await connection.execute(
                READ, {"conversation_id": conversation_id, "account_id": account_id, **_turn(conversation_id)}
            )
        ).first()
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
        async with self._sessions() as session:  # after a configuration change only
            account = await SqlAccountDirectory(session).account(account_id)
        self._cache.entries[account_id] = (version, account)
        return account


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True
