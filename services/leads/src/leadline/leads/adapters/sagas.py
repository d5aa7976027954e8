"""Add lead sagas and lead conflicts in SQL: each row locked while a handler decides on it."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import false, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.events import AgentRef, ContactDetails
from ..domain.saga import AbandonReason, AddLeadSaga, SagaState
from ..domain.unification import CustomerKeys, LeadConflict
from .tables import add_lead_sagas, lead_conflicts

S = add_lead_sagas.c
C = lead_conflicts.c


def _saga(row: Any) -> AddLeadSaga:
    return AddLeadSaga(
        account_id=row.account_id,
        idempotency_key=row.idempotency_key,
        lead_id=str(row.lead_id),
        attaches=row.attaches,
        conversation_id=str(row.conversation_id),
        agent=AgentRef(row.agent_id, row.agent_name),
        team_id=row.team_id,
        details=ContactDetails(**row.details),
        started_at=row.started_at,
        state=SagaState(row.state),
        abandon_reason=AbandonReason(row.abandon_reason) if row.abandon_reason else None,
        refusal=row.refusal,
    )


class SqlSagas:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock_customer(self, account_id: str, customer: CustomerKeys) -> None:
        """Decisions about one customer (unification, conflict, a new pending lead) are taken one at a time.

        One lock per key (mobile, BSUID) in a fixed order: a decision naming both keys waits for either.
        """
        for name in customer.lock_names():
            await self._session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": f"customer:{account_id}:{name}"},
            )

    async def get(self, account_id: str, idempotency_key: str, *, for_update: bool = False) -> AddLeadSaga | None:
        query = select(add_lead_sagas).where(S.account_id == account_id, S.idempotency_key == idempotency_key)
        row = (await self._session.execute(query.with_for_update() if for_update else query)).first()
        return _saga(row) if row else None

    async def start(self, saga: AddLeadSaga) -> bool:
        """Record the pending saga; False when its idempotency key is already taken."""
        inserted = await self._session.scalar(
            pg_insert(add_lead_sagas)
            .values(
                account_id=saga.account_id,
                idempotency_key=saga.idempotency_key,
                lead_id=UUID(saga.lead_id),
                attaches=saga.attaches,
                conversation_id=UUID(saga.conversation_id),
                agent_id=saga.agent.id,
                agent_name=saga.agent.name,
                team_id=saga.team_id,
                customer_phone=saga.details.mobile,
                whatsapp_user_id=saga.details.whatsapp_user_id,
                details=dataclasses.asdict(saga.details),
                state=saga.state.value,
                started_at=saga.started_at,
                updated_at=saga.started_at,
            )
            .on_conflict_do_nothing()
            .returning(S.lead_id)
        )
        return inserted is not None

    async def save(self, saga: AddLeadSaga, now: datetime) -> None:
        await self._session.execute(
            update(add_lead_sagas)
            .where(S.account_id == saga.account_id, S.idempotency_key == saga.idempotency_key)
            .values(
                state=saga.state.value,
                abandon_reason=saga.abandon_reason.value if saga.abandon_reason else None,
                refusal=saga.refusal,
                started_at=saga.started_at,
                updated_at=now,
            )
        )

    async def in_flight_elsewhere(
        self, account_id: str, customer: CustomerKeys, conversation_id: str, *, since: datetime
    ) -> bool:
        """Another conversation's Add lead for this customer (by mobile or BSUID), started recently and not finished."""
        found = await self._session.scalar(
            select(func.count())
            .select_from(add_lead_sagas)
            .where(
                S.account_id == account_id,
                same_customer(S, customer),
                S.state == SagaState.PENDING.value,
                S.conversation_id != UUID(conversation_id),
                S.started_at >= since,
            )
        )
        return bool(found)

    async def stale(self, older_than: datetime, *, limit: int = 100) -> list[tuple[str, str]]:
        rows = await self._session.execute(
            select(S.account_id, S.idempotency_key)
            .where(S.state == SagaState.PENDING.value, S.started_at <= older_than)
            .order_by(S.started_at)
            .limit(limit)
        )
        return [(account_id, key) for account_id, key in rows]

    async def for_claim(self, lead_id: str, conversation_id: str, agent_id: str) -> AddLeadSaga | None:
        """The saga a claim seen on the router's topic revives: one recovery gave up on as unclaimed.

        Pending sagas are left to their request and to recovery, which settle them against the router.
        """
        row = (
            await self._session.execute(
                select(add_lead_sagas)
                .where(
                    S.lead_id == UUID(lead_id),
                    S.conversation_id == UUID(conversation_id),
                    S.agent_id == agent_id,
                    S.state == SagaState.ABANDONED.value,
                    S.abandon_reason == AbandonReason.UNCLAIMED.value,
                )
                .order_by(S.started_at.desc())
                .limit(1)
            )
        ).first()
        return _saga(row) if row else None


def same_customer(columns: Any, customer: CustomerKeys):
    """Rows of a table with ``customer_phone`` and ``whatsapp_user_id`` that are this customer's: either key matches."""
    named = [
        column == value
        for column, value in (
            (columns.customer_phone, customer.phone),
            (columns.whatsapp_user_id, customer.whatsapp_user_id),
        )
        if value
    ]
    return or_(*named) if named else false()


def _conflict(row: Any) -> LeadConflict:
    return LeadConflict(
        conflict_id=str(row.conflict_id),
        account_id=row.account_id,
        customer_phone=row.customer_phone,
        lead_ids=tuple(str(x) for x in row.lead_ids),
        team_ids=tuple(row.team_ids),
        kept_lead_id=str(row.kept_lead_id) if row.kept_lead_id else None,
        resolved_by=row.resolved_by,
        whatsapp_user_id=row.whatsapp_user_id,
    )


class SqlConflicts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def open_for_customer(self, account_id: str, customer: CustomerKeys) -> LeadConflict | None:
        row = (
            await self._session.execute(
                select(lead_conflicts)
                .where(C.account_id == account_id, same_customer(C, customer), C.status == "open")
                .order_by(C.detected_at)
                .limit(1)
            )
        ).first()
        return _conflict(row) if row else None

    async def add(self, conflict: LeadConflict, at: datetime) -> None:
        await self._session.execute(
            lead_conflicts.insert().values(
                conflict_id=UUID(conflict.conflict_id),
                account_id=conflict.account_id,
                customer_phone=conflict.customer_phone,
                whatsapp_user_id=conflict.whatsapp_user_id,
                lead_ids=[UUID(x) for x in conflict.lead_ids],
                team_ids=list(conflict.team_ids),
                status="open",
                detected_at=at,
            )
        )

    async def get_for_update(self, conflict_id: str) -> LeadConflict | None:
        row = (
            await self._session.execute(
                select(lead_conflicts).where(C.conflict_id == UUID(conflict_id)).with_for_update()
            )
        ).first()
        return _conflict(row) if row else None

    async def save_resolution(self, conflict: LeadConflict, at: datetime) -> None:
        await self._session.execute(
            update(lead_conflicts)
            .where(C.conflict_id == UUID(conflict.conflict_id))
            .values(
                status="resolved",
                kept_lead_id=UUID(conflict.kept_lead_id),
                resolved_by=conflict.resolved_by,
                resolved_at=at,
            )
        )

    async def listed(self, account_id: str, *, status: str | None) -> list[LeadConflict]:
        query = select(lead_conflicts).where(C.account_id == account_id).order_by(C.detected_at)
        if status:
            query = query.where(C.status == status)
        return [_conflict(row) for row in await self._session.execute(query)]
