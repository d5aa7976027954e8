"""Each WhatsApp Business Account's message templates, as Meta last listed them: replaced whole on every sync."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.templates import Template
from .tables import message_templates, template_syncs

T = message_templates.c


class SqlTemplates:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def replace(self, waba_id: str, templates: Sequence[Template], synced_at: datetime) -> None:
        await self._session.execute(delete(message_templates).where(T.waba_id == waba_id))
        if templates:
            await self._session.execute(
                insert(message_templates),
                [
                    {
                        "waba_id": waba_id,
                        "name": t.name,
                        "language": t.language,
                        "category": t.category,
                        "status": t.status,
                        "body": t.body,
                        "header": t.header,
                        "footer": t.footer,
                        "buttons": list(t.buttons),
                        "example": list(t.example),
                    }
                    for t in templates
                ],
            )
        statement = pg_insert(template_syncs).values(waba_id=waba_id, synced_at=synced_at)
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=[template_syncs.c.waba_id], set_={"synced_at": synced_at})
        )

    async def of(self, waba_id: str) -> tuple[list[Template], datetime | None]:
        """The account's templates by name and language, and when they were listed (None: never)."""
        synced_at = await self._session.scalar(
            select(template_syncs.c.synced_at).where(template_syncs.c.waba_id == waba_id)
        )
        rows = await self._session.execute(
            select(message_templates).where(T.waba_id == waba_id).order_by(T.name, T.language)
        )
        return [
            Template(
                name=r.name,
                language=r.language,
                category=r.category,
                status=r.status,
                body=r.body,
                header=r.header,
                footer=r.footer,
                buttons=tuple(r.buttons),
                example=tuple(r.example),
            )
            for r in rows
        ], synced_at
