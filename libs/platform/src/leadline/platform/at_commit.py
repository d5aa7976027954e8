"""Work a transaction collects as it goes and does once, just before it commits.

A consumer lane decides many records in one transaction (``leadline.platform.batches``), a savepoint each. What the
records share — the inbox ids and stream positions history records, the conversation rows leads keeps — is cheaper
written once per transaction, with one statement per table, than once per record. ``held_until_commit`` gives the
records of a transaction one holder to add to, and writes it as the transaction commits: inside the commit, so its
statements are the transaction's last and an error in them fails the commit (the consumer then handles the lane's
records one by one, as after any failure). A transaction that rolls back drops its holder unwritten; the next
transaction of the same session gets a new one. A savepoint's release is not the commit: nothing is written then.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.util import await_

Holder = TypeVar("Holder")


def held_until_commit(
    session: AsyncSession,
    key: str,
    new: Callable[[], Holder],
    write: Callable[[AsyncSession, Holder], Awaitable[None]],
) -> Holder:
    """The holder ``key`` of ``session``'s current transaction (``new()`` the first time it is asked for);
    ``write(session, holder)`` runs once, as that transaction commits.

    SQLAlchemy calls the hook inside the ``AsyncSession``'s commit, in the greenlet that runs it, where ``await_``
    waits on the event loop: ``write`` is an ordinary coroutine using ``session``."""
    transaction = session.sync_session.get_transaction()
    held = session.info.get(key)
    if held is not None and held[0] is transaction:
        return held[1]
    holder = new()
    session.info[key] = (transaction, holder)

    def before_commit(sync_session: Session) -> None:
        if sync_session.in_nested_transaction() or session.info.get(key, (None,))[0] is not transaction:
            return  # a savepoint's release, or a transaction that is not this holder's (it ended unwritten)
        if sync_session.get_transaction() is not transaction:
            return
        del session.info[key]
        await_(write(session, holder))

    event.listen(session.sync_session, "before_commit", before_commit)
    return holder
