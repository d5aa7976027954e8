"""Business numbers' WhatsApp Web connection state in SQL: the newest report wins; the admins' list of broken ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.number_connections import CONNECTED
from .account_tables import business_numbers
from .tables import number_connections

N = number_connections.c


class SqlNumberConnections:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def keep(
        self, account_id: str, phone_number_id: str, connection: str, *, needs_qr_code: bool, at: datetime
    ) -> bool:
        """Store the number's connection unless a newer report is stored already; False when it was older."""
        values = {"account_id": account_id, "connection": connection, "needs_qr_code": needs_qr_code, "changed_at": at}
        kept = await self._session.scalar(
            pg_insert(number_connections)
            .values(phone_number_id=phone_number_id, **values)
            .on_conflict_do_update(index_elements=[N.phone_number_id], set_=values, where=N.changed_at <= at)
            .returning(N.phone_number_id)
        )
        return kept is not None


async def numbers_not_connected(session: AsyncSession, account_id: str) -> list[dict[str, Any]]:
    """The account's numbers whose WhatsApp Web session is not connected (``needs_attention``), as the account names
    them."""
    rows = await session.execute(
        select(N, business_numbers.c.name, business_numbers.c.display_number)
        .join(business_numbers, business_numbers.c.phone_number_id == N.phone_number_id)
        .where(business_numbers.c.account_id == account_id, N.connection != CONNECTED)
        .order_by(business_numbers.c.name)
    )
    return [
        {
            "phone_number_id": row.phone_number_id,
            "name": row.name,
            "display_number": row.display_number,
            "connection": row.connection,
            "needs_qr_code": row.needs_qr_code,
            "since": row.changed_at.isoformat(),
        }
        for row in rows
    ]
