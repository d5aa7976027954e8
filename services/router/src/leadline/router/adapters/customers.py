"""Customers in SQL: lock a fact's keys, load their holders, store what ``who_is_writing`` decided.

Race safety: every key a fact names is locked for the transaction (advisory locks, in key order), so two
decisions about one key take turns; and each key is unique per account in storage, so a decision that raced
past the locks (through a key it did not name) fails its insert or update and is decided again.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Text, bindparam, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.errors import ConcurrentChange
from ..domain.identity import CustomerKeys, Identified, KnownCustomer, who_is_writing
from ..service.ports import Customer, CustomerFound, CustomerPhoto
from .tables import customers

C = customers.c
_KEY_COLUMNS = {"phone": C.phone, "user_id": C.user_id, "parent_user_id": C.parent_user_id}


_LOCK_KEY = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


@functools.cache
def _holders_of(names: tuple[str, ...]) -> Select[Any]:
    """The customers holding any of the keys ``names`` (bound by name), locked: one statement per set of names."""
    named = [_KEY_COLUMNS[name] == bindparam(name, type_=Text) for name in names]
    return select(customers).where(C.account_id == bindparam("account_id", type_=Text), or_(*named)).with_for_update()


def _keys(row: Any) -> CustomerKeys:
    return CustomerKeys(row.phone, row.user_id, row.parent_user_id)


def _customer(row: Any) -> Customer:
    return Customer(str(row.customer_id), _keys(row), row.wa_id, row.username)


class SqlCustomers:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def identify(
        self, account_id: str, keys: CustomerKeys, *, wa_id: str | None, username: str | None, at: datetime
    ) -> CustomerFound:
        for name in keys.lock_names():
            await self._session.execute(_LOCK_KEY, {"key": f"customer:{account_id}:{name}"})
        named = {
            name: value
            for name, value in zip(_KEY_COLUMNS, (keys.phone, keys.user_id, keys.parent_user_id), strict=True)
            if value
        }
        rows = (await self._session.execute(_holders_of(tuple(named)), {"account_id": account_id, **named})).all()
        decision = who_is_writing(
            keys,
            [KnownCustomer(str(r.customer_id), _keys(r), r.first_seen_at, r.seen_order) for r in rows],
            new_id=str(uuid.uuid4()),
        )
        before = {str(row.customer_id): row for row in rows}
        try:  # no savepoint: a conflict abandons the whole attempt, which the handler decides again
            values = await self._store(account_id, decision, before, wa_id=wa_id, username=username, at=at)
        except IntegrityError as error:  # a key stored meanwhile by a decision that did not lock it
            raise ConcurrentChange("a customer key was taken meanwhile") from error
        return CustomerFound(
            Customer(decision.customer_id, decision.keys, values["wa_id"], values["username"]), decision
        )

    async def _store(
        self,
        account_id: str,
        decision: Identified,
        before: dict[str, Any],
        *,
        wa_id: str | None,
        username: str | None,
        at: datetime,
    ) -> dict[str, Any]:
        """Write the decision; a customer seen again exactly as known (most messages) is not written at all."""
        final = decision.keys
        for loser in decision.losing_keys:  # keys change hands before anyone takes them (unique indexes)
            taken = {
                name: None for name, value in _held(before[loser]).items() if value and value == getattr(final, name)
            }
            await self._session.execute(update(customers).where(C.customer_id == uuid.UUID(loser)).values(**taken))
        for merged in decision.merged:
            await self._session.execute(
                update(customers)
                .where(C.customer_id == uuid.UUID(merged))
                .values(phone=None, user_id=None, parent_user_id=None, merged_into=uuid.UUID(decision.customer_id))
            )
            await self._session.execute(
                update(customers)
                .where(C.merged_into == uuid.UUID(merged))
                .values(merged_into=uuid.UUID(decision.customer_id))
            )
        previous = before.get(decision.customer_id)  # the survivor holds a key of the fact: it was loaded
        spelled = wa_id or (previous.wa_id if previous is not None and previous.phone == final.phone else None)
        values = {
            "phone": final.phone,
            "user_id": final.user_id,
            "parent_user_id": final.parent_user_id,
            "wa_id": spelled,
            "username": username or (previous.username if previous is not None else None),
        }
        if decision.is_new:
            await self._session.execute(
                customers.insert().values(
                    customer_id=uuid.UUID(decision.customer_id), account_id=account_id, first_seen_at=at, **values
                )
            )
        elif any(getattr(previous, name) != value for name, value in values.items()):
            await self._session.execute(
                update(customers).where(C.customer_id == uuid.UUID(decision.customer_id)).values(**values)
            )
        return values

    async def current(self, account_id: str, customer_id: str) -> Customer | None:
        row = (
            await self._session.execute(
                select(customers).where(C.account_id == account_id, C.customer_id == uuid.UUID(customer_id))
            )
        ).first()
        if row is not None and row.merged_into is not None:
            row = (await self._session.execute(select(customers).where(C.customer_id == row.merged_into))).first()
        return _customer(row) if row is not None else None

    async def keep_photo(self, customer_id: str, photo: CustomerPhoto | None, *, changed_at: datetime) -> bool:
        kept = await self._session.execute(
            update(customers)
            .where(
                C.customer_id == uuid.UUID(customer_id),
                or_(C.photo_changed_at.is_(None), C.photo_changed_at <= changed_at),
            )
            .values(
                photo_key=photo.key if photo else None,
                photo_sha256=photo.sha256 if photo else None,
                photo_changed_at=changed_at,
            )
        )
        return bool(kept.rowcount)  # type: ignore[attr-defined]


def _held(row: Any) -> dict[str, str | None]:
    return {"phone": row.phone, "user_id": row.user_id, "parent_user_id": row.parent_user_id}
