"""Handlers for what agents ask: claim ("Add lead"), reply, finish, start a conversation from a lead.

Each loads the conversation, lets the aggregate decide, and saves with an expected version: of two
agents acting at once, one wins and the other decides again on what the winner left (claim-once).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import structlog

from ..domain.agents import Account, Agent
from ..domain.conversation import Conversation
from ..domain.errors import (
    AlreadyClaimed,
    BusinessNumberNotForTeam,
    ChooseBusinessNumber,
    ConversationNotFound,
    InvalidCustomerPhone,
    NoPhoneOnLead,
    NotAllowedToSend,
)
from ..domain.events import AgentRef
from ..domain.identity import WhatsAppName
from ..domain.rules import may_claim, send_request_id
from .identity import customer_of, identify_customer
from .inbound import Clock, Normalize, UowFactory, retrying
from .ports import ClaimGate, CommittedClaim, LeadOwner, UnitOfWork

log = structlog.get_logger(__name__)


async def _visible_conversation(
    work: UnitOfWork,
    conversation_id: str,
    agent: Agent,
    account: Account,
    *,
    to_claim: bool = False,
    about_messages: Iterable[str] | None = None,
) -> Conversation:
    """The conversation if this agent may see it (or, to claim, saw it in a pool); else the answer for a missing one.

    It knows the facts of ``about_messages`` (None: of every message). A claim decides on no message in particular:
    it loads none of the messages' facts.
    """
    try:
        uuid.UUID(conversation_id)
    except ValueError:
        raise ConversationNotFound("no such conversation") from None
    conversation = await work.conversations.get(conversation_id, about_messages=() if to_claim else about_messages)
    allowed = (
        conversation is not None
        and conversation.account_id == account.id
        and (conversation.claimable_by(agent, account) if to_claim else conversation.visible_to(agent, account))
    )
    if not allowed:
        raise ConversationNotFound("no such conversation")
    return conversation


class _TurnTaken(Exception):
    """Another claimer holds the conversation's claim turn: wait for its decision."""


def _refuse_late_claim(committed: CommittedClaim | None, agent: Agent) -> None:
    """Fast path for the 99 late claimers: an owner already committed is refused from one row, without the stream.

    Only a committed owner is trusted here; an unowned conversation (or the owner naming a lead) is the aggregate's
    to decide.
    """
    if committed is None or committed.state.owner_id is None or committed.state.owner_id == agent.id:
        return
    state, account = committed.state, committed.account
    if state.account_id != account.id or not may_claim(
        agent,
        owner_id=state.owner_id,
        pool_team_ids=state.pool_team_ids,
        collaborator_ids=state.collaborator_ids,
        was_in_pool=state.was_in_pool,
        account=account,
    ):
        raise ConversationNotFound("no such conversation")
    raise AlreadyClaimed(state.owner_id, state.owner_name)


async def claim_conversation(
    conversation_id: str,
    agent: Agent,
    *,
    account_id: str,
    lead_id: str | None,
    uow: UowFactory,
    gate: ClaimGate,
    clock: Clock,
    normalize: Normalize,
) -> Conversation:
    """Add lead: the first claim wins; a later or concurrent one gets ``AlreadyClaimed`` naming the owner.

    A claim of an owned conversation is refused from its committed row (``ClaimGate``: one statement, no unit of
    work). While it is unowned, claimers take turns: the one holding the turn goes the full way (load, decide, append
    with the expected version: the invariant), the others wait for its end together and are refused from the row it
    left. Each wait follows another claimer's decision (or the conversation is decided by this one), so the loop ends.
    """

    async def attempt() -> Conversation:
        async with uow() as work:
            if not await work.take_claim_turn(conversation_id):
                raise _TurnTaken
            account = await work.accounts.account(account_id)
            conversation = await _visible_conversation(work, conversation_id, agent, account, to_claim=True)
            conversation.claim(agent, account, lead_id=lead_id, at=clock())
            claimed = conversation.pending[0]
            if lead_id and conversation.opened:
                # a new lead is owned by whoever claimed it (the customer's next conversation comes straight to them);
                # an existing lead keeps its owner (the leads service's events say who that is)
                opened = conversation.opened
                customer = await customer_of(work, account.id, opened, normalize=normalize, at=clock())
                await work.chats.attach_lead(account.id, opened.phone_number_id, customer.customer_id, lead_id)
                await work.lead_owners.set_if_unknown(
                    account.id, LeadOwner(lead_id, agent.id, agent.name, claimed.team_id)
                )
            await work.commit()
            log.info("conversation claimed", conversation_id=conversation_id, agent_id=agent.id)
            return conversation

    committed = await gate.committed(conversation_id, account_id)
    while True:
        _refuse_late_claim(committed, agent)
        if committed is None or not committed.being_decided:
            async with gate.deciding(conversation_id) as deciding:
                if deciding:
                    try:
                        return await retrying(attempt)
                    except _TurnTaken:
                        pass
        committed = await gate.after_claim_turn(conversation_id, account_id)


async def reply(
    conversation_id: str,
    agent: Agent,
    *,
    account_id: str,
    content: dict[str, Any],
    idempotency_key: str,
    uow: UowFactory,
    clock: Clock,
    normalize: Normalize,
) -> str:
    """Send one message; the same idempotency key again (a double click, a retried request) sends nothing new.

    It goes to the customer as known now: their phone if one is known by now (even learned after the opening),
    else their BSUID.
    """
    request_id = send_request_id(conversation_id, idempotency_key)

    async def attempt() -> str:
        async with uow() as work:
            account = await work.accounts.account(account_id)
            conversation = await _visible_conversation(
                work, conversation_id, agent, account, about_messages=[request_id]
            )
            opened = conversation.opened
            customer = await customer_of(work, account.id, opened, normalize=normalize, at=clock())
            last = await work.chats.last_customer_message_at(account.id, opened.phone_number_id, customer.customer_id)
            message_id = conversation.reply(
                agent,
                account,
                content=content,
                request_id=request_id,
                last_customer_message_at=last,
                now=clock(),
                to=customer.whatsapp_name,
            )
            await work.commit()
            return message_id

    return await retrying(attempt)


async def finish_conversation(
    conversation_id: str, agent: Agent, *, account_id: str, uow: UowFactory, clock: Clock
) -> None:
    async def attempt() -> None:
        async with uow() as work:
            account = await work.accounts.account(account_id)
            conversation = await _visible_conversation(work, conversation_id, agent, account)
            if conversation.finish(agent, account, at=clock()):
                await work.chats.close_conversation(conversation.id)
            await work.commit()

    await retrying(attempt)


@dataclass(frozen=True)
class StartFromLead:
    lead_id: str
    customer_name: str
    phone: str | None
    phone_number_id: str | None
    content: dict[str, Any]
    idempotency_key: str
    user_id: str | None = None
    """The customer's BSUID, for a lead reached on WhatsApp without a number."""


@dataclass(frozen=True)
class Started:
    conversation_id: str
    message_id: str
    existing: bool
    """True: the customer's open conversation (this agent's) took the message instead of a new one."""


def choose_business_number(account: Account, agent: Agent, wanted: str | None) -> str:
    """The numbers linked to the agent's teams; the choice is skipped when there is only one."""
    options = sorted({n.phone_number_id for team in agent.team_ids for n in account.numbers_for_team(team)})
    if wanted is not None:
        if wanted not in options:
            raise BusinessNumberNotForTeam("this business number is not linked to your team")
        return wanted
    if not options:
        raise BusinessNumberNotForTeam("no business number is linked to your team")
    if len(options) > 1:
        raise ChooseBusinessNumber(options)
    return options[0]


async def start_from_lead(
    command: StartFromLead, agent: Agent, *, account_id: str, uow: UowFactory, clock: Clock, normalize: Normalize
) -> Started:
    """Open a conversation owned by the agent and send its first message.

    The customer is found as WhatsApp would name them (either form of the number, or the BSUID): when they already
    have an open conversation on this number, the message goes there if the agent may write in it, and otherwise the
    refusal says what to do (take it from the pool, who has it) instead of opening a second one.
    """
    if not command.phone and not command.user_id:
        raise NoPhoneOnLead("the lead has no mobile, phone or WhatsApp user id to write to")
    customer_phone = None
    if command.phone:
        try:
            customer_phone = normalize(command.phone)
        except ValueError as error:  # the normalizer's InvalidPhone names what is wrong with it
            raise InvalidCustomerPhone(str(error)) from error

    async def attempt() -> Started:
        async with uow() as work:
            account = await work.accounts.account(account_id)
            phone_number_id = choose_business_number(account, agent, command.phone_number_id)
            now = clock()
            # what an agent types never links keys: the phone alone when there is one, else the BSUID alone
            named = WhatsAppName() if customer_phone else WhatsAppName(user_id=command.user_id)
            customer = await identify_customer(
                work, account.id, named, normalize=normalize, at=now, phone=customer_phone
            )
            chat = await work.chats.get_for_update(account.id, phone_number_id, customer.customer_id)
            existing = chat.open_conversation_id is not None
            if existing:
                conversation = await work.conversations.get(chat.open_conversation_id)
                conversation.continue_from_lead(agent, account)
                # the same start again (a double submit) answers as the first did: it opened this conversation
                request_id = send_request_id(conversation.id, command.idempotency_key)
                existing = next(iter(conversation.message_of_request), None) != request_id
            else:
                number = account.numbers[phone_number_id]
                team_ids = account.teams_linked_to(phone_number_id)
                if not agent.is_admin and not (agent.team_ids & team_ids):
                    raise NotAllowedToSend("your team is not linked to this business number")
                conversation = Conversation.open(
                    str(uuid.uuid4()),
                    account.id,
                    phone_number_id=phone_number_id,
                    business_display_number=number.display_number,
                    customer=customer.whatsapp_name,
                    customer_id=customer.customer_id,
                    customer_phone=customer.keys.phone,
                    customer_display_name=command.customer_name,
                    team_ids=team_ids,
                    owner=AgentRef(agent.id, agent.name),
                    lead_id=command.lead_id,
                    opened_by="agent",
                    at=now,
                )
                await work.chats.open_conversation(chat, conversation.id, now)
                work.conversations.add(conversation)
            await work.chats.attach_lead(account.id, phone_number_id, customer.customer_id, command.lead_id)
            message_id = conversation.reply(
                agent,
                account,
                content=command.content,
                request_id=send_request_id(conversation.id, command.idempotency_key),
                last_customer_message_at=chat.last_customer_message_at,
                now=now,
                to=customer.whatsapp_name,
            )
            await work.commit()
            return Started(conversation.id, message_id, existing)

    return await retrying(attempt)
