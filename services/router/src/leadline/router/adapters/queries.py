"""Read side: what an agent may list and read, straight from the projections.

``visible_to`` is the SQL twin of ``domain.rules.may_see``; the authorization matrix test holds them equal.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, any_, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement
from sqlalchemy.types import Text

from leadline.phones import search_forms

from ..domain.agents import Account, Agent
from .account_directory import SqlAccountDirectory
from .account_tables import business_numbers
from .tables import chats, conversation_view, customers, lead_owners, message_view


def is_uuid(value: str) -> bool:
    """Whether an id from a path is a UUID at all (anything else names nothing: 404, not a database error)."""
    try:
        UUID(value)
    except ValueError:
        return False
    return True


view = conversation_view.c
_customer = customers.alias("customer_now")
_survivor = customers.alias("customer_merged_into")
_LIVE = ("customer_phone", "customer_username", "customer_user_id")


def conversations_with_their_customer():
    """The conversation rows with the customer as known now: a number or username learned after the opening shows.

    The projection keeps the customer as the opening named them; ``customers`` (followed to the customer it was
    merged into) knows more as WhatsApp names both their phone and BSUID, or the customer shares their number.
    Each row also names its business number as the account calls it (``business_name``, "Acme Motors") and its lead's
    temperature as the leads service last said (``lead_temperature``); ``customer_photo`` is the sha256 of the customer's
    WhatsApp profile photo (None: none known, the page shows initials) and ``customer_photo_key`` its media store key.
    """

    def now(column: str, view_column) -> Any:
        return func.coalesce(_survivor.c[column], _customer.c[column], view_column)

    columns = [column for column in conversation_view.c if column.name not in _LIVE]
    return select(
        *columns,
        now("phone", view.customer_phone).label("customer_phone"),
        now("username", view.customer_username).label("customer_username"),
        now("user_id", view.customer_user_id).label("customer_user_id"),
        func.coalesce(_survivor.c.photo_sha256, _customer.c.photo_sha256).label("customer_photo"),
        func.coalesce(_survivor.c.photo_key, _customer.c.photo_key).label("customer_photo_key"),
        business_numbers.c.name.label("business_name"),
        lead_owners.c.temperature.label("lead_temperature"),
    ).select_from(
        conversation_view.outerjoin(_customer, _customer.c.customer_id == view.customer_id)
        .outerjoin(_survivor, _survivor.c.customer_id == _customer.c.merged_into)
        .outerjoin(business_numbers, business_numbers.c.phone_number_id == view.phone_number_id)
        .outerjoin(lead_owners, lead_owners.c.lead_id == view.lead_id)
    )


def visible_to(agent: Agent, account: Account) -> ColumnElement[bool]:
    same_account = view.account_id == account.id
    if agent.is_admin:
        return same_account
    teams = literal(sorted(agent.team_ids), ARRAY(Text))
    rule = or_(
        and_(view.owner_id.is_(None), view.pool_team_ids.op("&&")(teams)),
        view.owner_id == agent.id,
    )
    if account.settings.process_type == 2:
        rule = or_(rule, literal(agent.id).op("=")(any_(view.collaborator_ids)))
    return and_(same_account, rule)


@dataclass(frozen=True)
class ConversationFilter:
    status: str | None = None
    search: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    team_ids: tuple[str, ...] = ()
    agent_ids: tuple[str, ...] = ()
    pinned_lead_id: str | None = None
    limit: int = 50
    offset: int = 0


def matches_search(typed: str) -> ColumnElement[bool]:
    """A customer's name regardless of accents and case ("julia" finds "Júlia"), their @username, or their number
    however it was typed (``leadline.phones.search_forms``: with or without +55, punctuation or the ninth digit)."""
    term = or_(
        func.unaccent(view.customer_name).icontains(without_accents(typed.strip()), autoescape=True),
        view.customer_username.icontains(typed.strip().lstrip("@"), autoescape=True),
    )
    for digits in search_forms(typed):
        term = or_(term, view.customer_wa_id.contains(digits), view.customer_phone.contains(digits))
    return term


def without_accents(text: str) -> str:
    """The text as PostgreSQL's unaccent leaves it, for Portuguese at least: "João" → "Joao"."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _filtered(agent: Agent, account: Account, f: ConversationFilter, *, with_status: bool = True):
    conditions = [visible_to(agent, account)]
    if with_status and f.status:
        conditions.append(view.status == f.status)
    if f.search:
        conditions.append(matches_search(f.search))
    if f.since:
        conditions.append(view.last_activity_at >= f.since)
    if f.until:
        conditions.append(view.last_activity_at < f.until)
    if f.team_ids:
        teams = literal(list(f.team_ids), ARRAY(Text))
        conditions.append(or_(view.pool_team_ids.op("&&")(teams), view.owner_team_id.in_(f.team_ids)))
    if f.agent_ids:
        conditions.append(view.owner_id.in_(f.agent_ids))
    return and_(*conditions)


async def list_conversations(
    session: AsyncSession, agent: Agent, account: Account, f: ConversationFilter
) -> list[dict[str, Any]]:
    """Newest activity first; the lead's conversation pinned first when the inbox was opened from a lead."""
    order = [view.last_activity_at.desc(), view.conversation_id]
    if f.pinned_lead_id:
        order.insert(0, (view.lead_id == f.pinned_lead_id).desc().nulls_last())
    rows = await session.execute(
        conversations_with_their_customer()
        .where(_filtered(agent, account, f))
        .order_by(*order)
        .limit(f.limit)
        .offset(f.offset)
    )
    return [dict(row._mapping) for row in rows]


async def count_by_status(
    session: AsyncSession, agent: Agent, account: Account, f: ConversationFilter
) -> dict[str, int]:
    rows = await session.execute(
        select(view.status, func.count()).where(_filtered(agent, account, f, with_status=False)).group_by(view.status)
    )
    counts = {"new": 0, "unanswered": 0, "no_reply": 0, "finished": 0}
    counts.update({status: n for status, n in rows})
    return counts


async def count_waiting_too_long(session: AsyncSession, agent: Agent, account: Account, f: ConversationFilter) -> int:
    """Answer quickly: the conversations this agent sees waiting in a pool past the account's threshold (alerted)."""
    return (
        await session.scalar(
            select(func.count()).where(
                _filtered(agent, account, f, with_status=False),
                view.status == "new",
                view.owner_id.is_(None),
                view.pool_wait_alerted.is_(True),
            )
        )
        or 0
    )


async def get_conversation(
    session: AsyncSession, agent: Agent, account: Account, conversation_id: str
) -> dict[str, Any] | None:
    row = (
        await session.execute(
            conversations_with_their_customer().where(
                view.conversation_id == conversation_id, visible_to(agent, account)
            )
        )
    ).first()
    return dict(row._mapping) if row else None


async def list_messages(
    session: AsyncSession, conversation_id: str, *, search: str | None = None
) -> list[dict[str, Any]]:
    query = select(message_view).where(message_view.c.conversation_id == conversation_id).order_by(message_view.c.seq)
    if search:
        query = query.where(message_view.c.text.ilike(f"%{search}%"))
    return [dict(row._mapping) for row in await session.execute(query)]


async def visible_message(
    session: AsyncSession, agent: Agent, account: Account, conversation_id: str, message_id: str
) -> dict[str, Any] | None:
    """A message of a conversation this agent may see; None otherwise (its files are authorized like it)."""
    row = (
        await session.execute(
            select(message_view)
            .join(conversation_view, conversation_view.c.conversation_id == message_view.c.conversation_id)
            .where(
                message_view.c.conversation_id == conversation_id,
                message_view.c.message_id == message_id,
                visible_to(agent, account),
            )
        )
    ).first()
    return dict(row._mapping) if row else None


async def conversation_of_wamid(work: Any, wamid: str) -> str | None:
    found = await work.session.scalar(
        select(message_view.c.conversation_id).where(message_view.c.wamid == wamid).limit(1)
    )
    return str(found) if found else None


async def conversations_of_lead(work: Any, lead_id: str) -> list[str]:
    rows = await work.session.scalars(
        select(view.conversation_id).where(view.lead_id == lead_id, view.status != "finished")
    )
    return [str(row) for row in rows]


async def waiting_in_pools(work: Any, now: datetime) -> list[tuple[str, str, float]]:
    """Unclaimed conversations not yet alerted on: (conversation, account, seconds waited)."""
    rows = await work.session.execute(
        select(view.conversation_id, view.account_id, view.opened_at).where(
            view.status == "new",
            view.owner_id.is_(None),
            view.pool_wait_alerted.is_(False),
        )
    )
    return [(str(cid), account, (now - opened).total_seconds()) for cid, account, opened in rows]


async def directory_for(session: AsyncSession, agent: Agent, account_id: str) -> dict[str, Any]:
    """The account's active teams by name (``member``: the agent is in it), and its active agents: all of them for an
    administrator, else the agents who share a team with this one."""
    configuration, _ = await SqlAccountDirectory(session).configuration(account_id)
    teams = sorted((team for team in configuration.teams if team.active), key=lambda team: team.name)
    agents = [
        record.agent
        for record in configuration.agents
        if record.active and (agent.is_admin or record.agent.team_ids & agent.team_ids or record.agent.id == agent.id)
    ]
    return {
        "teams": [{"id": team.id, "name": team.name, "member": team.id in agent.team_ids} for team in teams],
        "agents": [
            {"id": a.id, "name": a.name, "role": a.role.value, "team_ids": sorted(a.team_ids)}
            for a in sorted(agents, key=lambda a: a.name)
        ],
    }


async def last_customer_message_on(
    session: AsyncSession,
    account_id: str,
    phone_number_id: str,
    *,
    customer_id: str | None = None,
    lead_id: str | None = None,
) -> datetime | None:
    """When the customer (or the lead's customer) last wrote to this business number: the 24-hour window's start."""
    c = chats.c
    condition = c.customer_id == customer_id if customer_id else c.lead_id == lead_id
    return await session.scalar(
        select(func.max(c.last_customer_message_at)).where(
            c.account_id == account_id, c.phone_number_id == phone_number_id, condition
        )
    )


async def last_customer_message_in(session: AsyncSession, conversation: dict[str, Any]) -> datetime | None:
    """The 24-hour window's start for a conversation row: its customer's (else its lead's) last message on its number."""
    return await last_customer_message_on(
        session,
        conversation["account_id"],
        conversation["phone_number_id"],
        customer_id=str(conversation["customer_id"]) if conversation["customer_id"] else None,
        lead_id=str(conversation["lead_id"]) if conversation["lead_id"] else None,
    )
