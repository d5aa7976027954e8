"""What the leads service learns from the router's topics, in SQL: conversations' activity and the account directory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import any_, bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadline.platform.at_commit import held_until_commit

from ..domain.activity import ConversationActivity
from ..domain.errors import ConcurrentChange
from ..service.ports import BusinessNumber, ConversationRecord, DirectoryAgent
from .tables import account_settings, agents, business_numbers, conversation_activity, teams

A = conversation_activity.c
_ACTIVITY_FIELDS = (
    "open",
    "last_customer_message_at",
    "last_dealer_message_at",
    "waiting_since",
    "last_speaker",
    "exchanges",
    "customer_messages",
    "finished_at",
)
_RECORD_FIELDS = (
    "opened_by",
    "phone_number_id",
    "business_display_number",
    "customer_phone",
    "first_message_kind",
    "first_message_text",
    "first_message_at",
)
_SAVED = frozenset(
    (*_RECORD_FIELDS, *_ACTIVITY_FIELDS, "account_id", "lead_id", "last_answer_delay_s", "last_sequence")
)


def _record(row: Any) -> ConversationRecord:
    delay = timedelta(seconds=row.last_answer_delay_s) if row.last_answer_delay_s is not None else None
    activity = ConversationActivity(
        str(row.conversation_id), last_answer_delay=delay, **{name: getattr(row, name) for name in _ACTIVITY_FIELDS}
    )
    return ConversationRecord(
        conversation_id=str(row.conversation_id),
        account_id=row.account_id,
        lead_id=str(row.lead_id) if row.lead_id else None,
        activity=activity,
        last_sequence=row.last_sequence,
        **{name: getattr(row, name) for name in _RECORD_FIELDS},
    )


# built once: each call only binds its values (building a statement costs more than running it here)
_BY_ID = select(conversation_activity).where(A.conversation_id == bindparam("conversation_id"))
_LOCKED_BY_ID = _BY_ID.with_for_update()
_OF_LEAD = select(conversation_activity).where(A.lead_id == bindparam("lead_id"))
_NEW = pg_insert(conversation_activity)
_SAVE = _NEW.on_conflict_do_update(
    index_elements=[A.conversation_id],
    set_={
        **{column.name: _NEW.excluded[column.name] for column in conversation_activity.c if column.name in _SAVED},
        "last_activity_at": func.coalesce(_NEW.excluded.last_activity_at, A.last_activity_at),
        # a lead, once known, stays: an Add lead may link the row while a lane still holds its news in memory
        "lead_id": func.coalesce(_NEW.excluded.lead_id, A.lead_id),
    },
    where=A.last_sequence < _NEW.excluded.last_sequence,
).returning(A.conversation_id)


def _values(record: ConversationRecord, at: datetime | None) -> dict[str, Any]:
    activity = record.activity or ConversationActivity(record.conversation_id)
    values: dict[str, Any] = {name: getattr(record, name) for name in _RECORD_FIELDS}
    values.update({name: getattr(activity, name) for name in _ACTIVITY_FIELDS})
    delay = activity.last_answer_delay
    values.update(
        conversation_id=UUID(record.conversation_id),
        account_id=record.account_id,
        lead_id=UUID(record.lead_id) if record.lead_id else None,
        last_answer_delay_s=int(delay.total_seconds()) if delay is not None else None,
        last_activity_at=at,
        last_sequence=record.last_sequence,
    )
    return values


@dataclass
class _Held:
    """The conversations a consumer's lane has decided in its transaction, as decided (committed savepoints only).

    A row the lane read for update, or wrote, stays locked by the transaction until it ends: nobody else changes it,
    so the lane's next events of the conversation read it here, and the lane writes each conversation once, with
    what its last event left, when the transaction commits (``leadline.platform.at_commit``).
    """

    records: dict[str, ConversationRecord] = field(default_factory=dict)
    unwritten: dict[str, datetime | None] = field(default_factory=dict)
    """Conversation id -> when it was last active (None: no news of activity; the row keeps its time)."""


async def _write_held(session: AsyncSession, held: _Held) -> None:
    if not held.unwritten:
        return
    # in the order of their ids: two transactions writing the same rows lock them in the same order
    rows = [_values(held.records[cid], at) for cid, at in sorted(held.unwritten.items())]
    written = (await session.execute(_SAVE, rows)).all()
    if len(written) != len(rows):  # another consumer (a rebalance) folded a later event meanwhile
        raise ConcurrentChange("another consumer folded a later event of these conversations meanwhile")


_HELD = "leads.conversations held"


def _held(session: AsyncSession) -> _Held:
    return held_until_commit(session, _HELD, _Held, _write_held)


class SqlConversations:
    """``in_lane``: this unit of work is one savepoint of a consumer lane's transaction (see ``_Held``); otherwise
    a save is written at once."""

    def __init__(self, session: AsyncSession, *, in_lane: bool = False) -> None:
        self._session = session
        self._in_lane = in_lane
        self._saved: dict[str, tuple[ConversationRecord, datetime | None]] = {}

    def _known(self, conversation_id: str) -> ConversationRecord | None:
        """What this unit of work, or its lane, decided of the conversation and has not written yet."""
        if not self._in_lane:
            return None
        if conversation_id in self._saved:
            return self._saved[conversation_id][0]
        return _held(self._session).records.get(conversation_id)

    async def get(self, conversation_id: str, *, for_update: bool = False) -> ConversationRecord | None:
        if (known := self._known(conversation_id)) is not None:
            return known
        query = _LOCKED_BY_ID if for_update else _BY_ID
        row = (await self._session.execute(query, {"conversation_id": UUID(conversation_id)})).first()
        return _record(row) if row else None

    async def save(self, record: ConversationRecord, *, at: datetime | None) -> bool:
        if self._in_lane:
            _, before = self._saved.get(record.conversation_id, (None, None))
            self._saved[record.conversation_id] = (record, at or before)
            return True
        return (await self._session.execute(_SAVE, _values(record, at))).first() is not None

    def committed(self) -> None:
        """This unit of work's savepoint is committed into the lane's transaction: what it saved is the lane's."""
        held = _held(self._session)
        for cid, (record, at) in self._saved.items():
            held.records[cid] = record
            held.unwritten[cid] = at or held.unwritten.get(cid)

    async def link(self, conversation_id: str, account_id: str, lead_id: str) -> None:
        """The conversation belongs to the lead (a claim or an Add lead said so), known yet or not."""
        if (known := self._known(conversation_id)) is not None:
            await self.save(replace(known, lead_id=lead_id), at=None)
            return
        statement = pg_insert(conversation_activity).values(
            conversation_id=UUID(conversation_id), account_id=account_id, lead_id=UUID(lead_id)
        )
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=[A.conversation_id], set_={"lead_id": UUID(lead_id)})
        )

    async def of_lead(self, lead_id: str) -> list[ConversationRecord]:
        rows = await self._session.execute(_OF_LEAD, {"lead_id": UUID(lead_id)})
        found = {record.conversation_id: record for record in map(_record, rows)}
        if self._in_lane:  # what the lane knows and has not written yet
            known = {**_held(self._session).records, **{cid: record for cid, (record, _) in self._saved.items()}}
            for cid, record in known.items():
                if record.lead_id == lead_id:
                    found[cid] = record
                else:
                    found.pop(cid, None)
        return list(found.values())


class SqlDirectory:
    """Accounts as the router's integration topic describes them; unknown accounts get the router's defaults."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def unification(self, account_id: str) -> bool:
        value = await self._session.scalar(
            select(account_settings.c.lead_unification).where(account_settings.c.account_id == account_id)
        )
        return True if value is None else value

    async def team_names(self, account_id: str, team_ids: Sequence[str]) -> list[str]:
        rows = await self._session.execute(
            select(teams.c.team_id, teams.c.name).where(
                teams.c.account_id == account_id, teams.c.team_id.in_(list(team_ids))
            )
        )
        names = dict(rows.all())
        return [names.get(team_id, team_id) for team_id in team_ids]

    async def agent(self, account_id: str, agent_id: str) -> DirectoryAgent | None:
        row = (
            await self._session.execute(
                select(agents).where(agents.c.account_id == account_id, agents.c.agent_id == agent_id)
            )
        ).first()
        return DirectoryAgent(row.agent_id, row.name, row.role, frozenset(row.team_ids), row.active) if row else None

    async def numbers_for_team(self, account_id: str, team_id: str) -> list[BusinessNumber]:
        rows = await self._session.execute(
            select(business_numbers)
            .where(business_numbers.c.account_id == account_id, literal(team_id) == any_(business_numbers.c.team_ids))
            .order_by(business_numbers.c.phone_number_id)
        )
        return [BusinessNumber(r.phone_number_id, r.display_phone_number, r.name, frozenset(r.team_ids)) for r in rows]

    async def _upsert(self, table: Any, keys: list[str], values: dict[str, Any]) -> None:
        statement = pg_insert(table).values(**values)
        changes = {name: value for name, value in values.items() if name not in keys}
        await self._session.execute(statement.on_conflict_do_update(index_elements=keys, set_=changes))

    async def save_settings(self, account_id: str, *, lead_unification: bool, process_type: int) -> None:
        await self._upsert(
            account_settings,
            ["account_id"],
            {"account_id": account_id, "lead_unification": lead_unification, "process_type": process_type},
        )

    async def save_team(self, account_id: str, team_id: str, name: str, active: bool) -> None:
        await self._upsert(
            teams,
            ["account_id", "team_id"],
            {"account_id": account_id, "team_id": team_id, "name": name, "active": active},
        )

    async def save_agent(self, account_id: str, agent: DirectoryAgent) -> None:
        await self._upsert(
            agents,
            ["account_id", "agent_id"],
            {
                "account_id": account_id,
                "agent_id": agent.agent_id,
                "name": agent.name,
                "role": agent.role,
                "team_ids": sorted(agent.team_ids),
                "active": agent.active,
            },
        )

    async def save_number(self, account_id: str, number: BusinessNumber) -> None:
        await self._upsert(
            business_numbers,
            ["phone_number_id"],
            {
                "phone_number_id": number.phone_number_id,
                "account_id": account_id,
                "display_phone_number": number.display_phone_number,
                "name": number.name,
                "team_ids": sorted(number.team_ids),
            },
        )
