"""What the leads service learns from the router's topics, in SQL: conversations' activity and the account directory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import any_, bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.activity import ConversationActivity
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
    },
    where=A.last_sequence < _NEW.excluded.last_sequence,
).returning(A.conversation_id)


_HELD = "leads.conversations held"


def _held(session: AsyncSession) -> dict[str, ConversationRecord]:
    """The conversations whose rows this transaction has written, as written: locked by it until it ends."""
    transaction = session.sync_session.get_transaction()
    held = session.info.get(_HELD)
    if held is None or held[0] is not transaction:
        held = session.info[_HELD] = (transaction, {})
    return held[1]


class SqlConversations:
    """A consumer's lane decides a conversation's events one after another in one transaction: once an event of it
    is committed there (``committed``), the row is locked by the lane and its next events read it from memory."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._saved: dict[str, ConversationRecord] = {}

    async def get(self, conversation_id: str, *, for_update: bool = False) -> ConversationRecord | None:
        known = self._saved.get(conversation_id) or _held(self._session).get(conversation_id)
        if known is not None:
            return known
        query = _LOCKED_BY_ID if for_update else _BY_ID
        row = (await self._session.execute(query, {"conversation_id": UUID(conversation_id)})).first()
        return _record(row) if row else None

    async def save(self, record: ConversationRecord, *, at: datetime | None) -> bool:
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
        saved = (await self._session.execute(_SAVE, values)).first() is not None
        if saved:
            self._saved[record.conversation_id] = record
        return saved

    def committed(self) -> None:
        """This unit of work's savepoint is committed into the transaction: what it saved stays locked, and known."""
        _held(self._session).update(self._saved)

    async def link(self, conversation_id: str, account_id: str, lead_id: str) -> None:
        """The conversation belongs to the lead (a claim or an Add lead said so), known yet or not."""
        self._saved.pop(conversation_id, None)
        _held(self._session).pop(conversation_id, None)
        statement = pg_insert(conversation_activity).values(
            conversation_id=UUID(conversation_id), account_id=account_id, lead_id=UUID(lead_id)
        )
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=[A.conversation_id], set_={"lead_id": UUID(lead_id)})
        )

    async def of_lead(self, lead_id: str) -> list[ConversationRecord]:
        rows = await self._session.execute(_OF_LEAD, {"lead_id": UUID(lead_id)})
        return [_record(row) for row in rows]


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
