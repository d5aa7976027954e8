"""The lead event store: append with an expected version, load a lead, keep the ``leads`` row in step; the lead's read side.

A lead loads from its snapshot (``snapshots.py``) with one statement, however long its stream: the snapshot and the
stream's last version to check it against. The append that makes a snapshot current writes it, in its transaction; a
lead without one, of another format, or unreadable is folded from its events (the truth) instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadline.events import CONVERSION_POINT_RECORDED, REGISTRY, Envelope
from leadline.platform.event_store import StreamConflict, append_events, load_stream

from ..domain import events as ev
from ..domain.errors import ConcurrentChange
from ..domain.lead import ACTIVE, MERGED, Lead
from ..domain.unification import CustomerKeys
from .sagas import same_customer
from .snapshots import FORMAT, UnreadableSnapshot, state_from_json, state_to_json
from .tables import conversation_activity, lead_events, lead_snapshots, leads
from .translate import to_domain, to_payload

log = structlog.get_logger(__name__)
K = lead_snapshots.c

# built once: each call only binds its values (the consumer loads and reviews a lead per conversation event)
_LAST_VERSION = select(func.max(lead_events.c.version)).where(lead_events.c.lead_id == K.lead_id).scalar_subquery()
_SNAPSHOT = select(K.account_id, K.version, K.format, K.state, _LAST_VERSION.label("stream_version")).where(
    K.lead_id == bindparam("lead_id")
)
_REVIEW = update(leads).where(leads.c.lead_id == bindparam("lead")).values(review_temperature_at=bindparam("review_at"))


class SqlLeads:
    def __init__(self, session: AsyncSession, *, clock: Callable[[], datetime]) -> None:
        self._session = session
        self._clock = clock

    async def get(self, lead_id: str) -> Lead | None:
        row = (await self._session.execute(_SNAPSHOT, {"lead_id": UUID(lead_id)})).first()
        if row is not None and row.format == FORMAT and row.stream_version == row.version:
            try:
                return Lead.restore(lead_id, row.account_id, state_from_json(row.version, row.state))
            except UnreadableSnapshot as error:
                log.warning("unreadable lead snapshot: folding its events", lead_id=lead_id, error=str(error))
        return await self.fold(lead_id)

    async def fold(self, lead_id: str) -> Lead | None:
        """The lead folded from every event of its stream: the truth a snapshot is checked against."""
        stored = await load_stream(self._session, lead_events, UUID(lead_id))
        if not stored:
            return None
        history = [to_domain(REGISTRY.decode(envelope), envelope.occurred_at) for envelope in stored]
        return Lead.rehydrate(lead_id, stored[0].account_id, history)

    async def add(
        self,
        lead: Lead,
        *,
        caused_by: Envelope | None = None,
        review_temperature_at: datetime | None = None,
        review: bool = False,
    ) -> list[Envelope]:
        """Append the lead's pending events after the version they were decided on; a concurrent append fails.

        ``review`` also stores when the temperature should next be looked at (None: only on news).
        """
        first = lead.version - len(lead.pending) + 1
        now = self._clock()
        envelopes = [
            REGISTRY.encode(
                to_payload(lead.id, event),
                account_id=lead.account_id,
                sequence=first + offset,
                occurred_at=getattr(event, "at", now),  # when decided: the fold reads `at` back from here
                caused_by=caused_by,
            )
            for offset, event in enumerate(lead.pending)
        ]
        if envelopes:
            try:
                await append_events(self._session, lead_events, envelopes)
            except StreamConflict as error:
                raise ConcurrentChange("the lead changed meanwhile") from error
            for event in lead.pending:
                await self._project(lead, event, now)
            await self._keep(lead)
            lead.pending.clear()
        if review:
            await self._session.execute(_REVIEW, {"lead": UUID(lead.id), "review_at": review_temperature_at})
        return envelopes

    async def _keep(self, lead: Lead) -> None:
        """The snapshot at the version just appended."""
        upsert = pg_insert(lead_snapshots).values(
            lead_id=UUID(lead.id),
            account_id=lead.account_id,
            version=lead.version,
            format=FORMAT,
            state=state_to_json(lead.state()),
        )
        await self._session.execute(
            upsert.on_conflict_do_update(
                index_elements=[K.lead_id],
                set_={name: upsert.excluded[name] for name in ("version", "format", "state")},
            )
        )

    async def _project(self, lead: Lead, event: ev.DomainEvent, now: datetime) -> None:
        """Fold one event into the ``leads`` row (the read side and the unification lookup)."""
        where = leads.c.lead_id == UUID(lead.id)
        match event:
            case ev.LeadCreated(details=d):
                await self._session.execute(
                    leads.insert().values(
                        lead_id=UUID(lead.id),
                        account_id=lead.account_id,
                        status=ACTIVE,
                        name=d.name,
                        customer_phone=d.mobile,
                        whatsapp_user_id=d.whatsapp_user_id,
                        whatsapp_username=d.whatsapp_username,
                        phone=d.phone,
                        email=d.email,
                        vehicle_of_interest=d.vehicle_of_interest,
                        notes=d.notes,
                        owner_id=event.responsible.id,
                        owner_name=event.responsible.name,
                        team_id=event.team_id,
                        conversation_id=UUID(event.conversation_id),
                        created_at=now,
                        version=lead.version,
                    )
                )
                return
            case ev.LeadTransferred():
                values: dict[str, Any] = {
                    "owner_id": event.to_agent.id,
                    "owner_name": event.to_agent.name,
                    "team_id": event.to_team_id,
                }
            case ev.MobileShared():
                values = {"customer_phone": event.mobile, "whatsapp_user_id": lead.whatsapp_user_id}
            case ev.TemperatureChanged():
                values = {
                    "temperature": event.to_temperature,
                    "temperature_reasons": list(event.reasons),
                    "temperature_changed_at": now,
                }
            case ev.ConflictResolved() if lead.status == MERGED:
                values = {"status": MERGED, "merged_into": UUID(lead.merged_into), "review_temperature_at": None}
            case _:
                values = {}
        await self._session.execute(update(leads).where(where).values(version=lead.version, **values))

    async def active_for_customer(self, account_id: str, customer: CustomerKeys) -> list[tuple[str, str, datetime]]:
        """(lead id, team, created at) of the customer's active leads in the account: by mobile or by WhatsApp BSUID."""
        first_event = (
            select(func.min(lead_events.c.position)).where(lead_events.c.lead_id == leads.c.lead_id).scalar_subquery()
        )
        rows = await self._session.execute(
            select(leads.c.lead_id, leads.c.team_id, leads.c.created_at)
            .where(leads.c.account_id == account_id, same_customer(leads.c, customer), leads.c.status == ACTIVE)
            .order_by(leads.c.created_at, first_event)
        )
        return [(str(lead_id), team_id, created_at) for lead_id, team_id, created_at in rows]

    async def due_for_review(self, now: datetime, *, limit: int = 500) -> list[str]:
        rows = await self._session.scalars(
            select(leads.c.lead_id)
            .where(leads.c.review_temperature_at <= now, leads.c.status == ACTIVE)
            .order_by(leads.c.review_temperature_at)
            .limit(limit)
        )
        return [str(lead_id) for lead_id in rows]


# ---- read side: a lead as the agent sees it ----------------------------------------------------------------
A = conversation_activity.c


async def lead_row(session: AsyncSession, lead_id: str) -> dict[str, Any] | None:
    try:
        key = UUID(lead_id)
    except ValueError:
        return None
    row = (await session.execute(select(leads).where(leads.c.lead_id == key))).first()
    return dict(row._mapping) if row else None


async def conversion_points(session: AsyncSession, lead_id: str) -> list[dict[str, Any]]:
    """Every conversion point, oldest first, as published."""
    rows = await session.scalars(
        select(lead_events.c.data)
        .where(lead_events.c.lead_id == UUID(lead_id), lead_events.c.type == CONVERSION_POINT_RECORDED)
        .order_by(lead_events.c.version)
    )
    return [{k: v for k, v in data.items() if k != "lead_id"} for data in rows]


async def conversations_of_lead(session: AsyncSession, lead_id: str) -> list[dict[str, Any]]:
    """The open conversation first, then the most recently active."""
    rows = await session.execute(
        select(
            A.conversation_id,
            A.open,
            A.phone_number_id,
            A.business_display_number,
            A.opened_at,
            A.last_customer_message_at,
            A.last_activity_at,
        )
        .where(A.lead_id == UUID(lead_id))
        .order_by(A.open.desc(), A.last_activity_at.desc().nulls_last(), A.conversation_id)
    )
    return [dict(row._mapping) for row in rows]
