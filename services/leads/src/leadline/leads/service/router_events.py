"""Handlers for what the router publishes: each account's setup, and the life of each conversation.

Conversations feed the lead thermometer: every message, finish and reopening of a conversation that
belongs to a lead re-assesses that lead. None of this ever creates a lead: only an agent's Add lead does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

import structlog

from leadline.events import (
    CONVERSATION_CLAIMED,
    CONVERSATION_FINISHED,
    CONVERSATION_OPENED,
    CONVERSATION_REOPENED,
    MESSAGE_APPENDED,
    AccountSettingsChangedV1,
    AgentUpsertedV1,
    BusinessNumberRegisteredV1,
    ContactsContent,
    ConversationClaimedV1,
    ConversationFinishedV1,
    ConversationOpenedV2,
    ConversationReopenedV1,
    Envelope,
    MessageAppendedV1,
    TeamUpsertedV1,
    text_of,
)
from leadline.events.envelope import Payload
from leadline.phones import normalize_phone

from ..domain.activity import ConversationActivity
from ..domain.errors import ConcurrentChange
from ..domain.lead import ACTIVE
from ..domain.temperature import TemperatureRules
from .common import reassess
from .completion import complete_in, point_from_record
from .ports import BusinessNumber, Clock, ConversationRecord, DirectoryAgent, UnitOfWork

log = structlog.get_logger(__name__)


async def learn_account_setup(work: UnitOfWork, envelope: Envelope, payload: Payload) -> None:
    """Upserts carry the whole current state: the latest event per entity is all the directory needs."""
    account_id, directory = envelope.account_id, work.directory
    match payload:
        case AccountSettingsChangedV1():
            await directory.save_settings(
                account_id, lead_unification=payload.lead_unification, process_type=payload.process_type
            )
        case TeamUpsertedV1():
            await directory.save_team(account_id, payload.team_id, payload.name, payload.active)
        case AgentUpsertedV1():
            await directory.save_agent(
                account_id,
                DirectoryAgent(
                    payload.agent_id, payload.name, str(payload.role), frozenset(payload.team_ids), payload.active
                ),
            )
        case BusinessNumberRegisteredV1():
            await directory.save_number(
                account_id,
                BusinessNumber(
                    payload.phone_number_id, payload.display_phone_number, payload.name, frozenset(payload.team_ids)
                ),
            )


FOLLOWED = frozenset(
    {CONVERSATION_OPENED, MESSAGE_APPENDED, CONVERSATION_CLAIMED, CONVERSATION_FINISHED, CONVERSATION_REOPENED}
)
"""The router's conversation events the leads service folds; the others (status changes, pool waits, deliveries,
send requests, ...) change nothing here, so the consumer passes over them without decoding them."""


def fold_conversation(record: ConversationRecord, payload: Payload, at: datetime) -> ConversationRecord:
    """One router event into what the leads service keeps of the conversation."""
    activity = record.activity or ConversationActivity(record.conversation_id)
    match payload:
        case ConversationOpenedV2():
            return replace(
                record,
                opened_by=payload.opened_by,
                phone_number_id=payload.phone_number_id,
                business_display_number=payload.business_display_number,
                customer_phone=payload.customer_phone,
                lead_id=str(payload.lead_id) if payload.lead_id else record.lead_id,
                activity=activity,
            )
        case MessageAppendedV1():
            inbound = payload.direction == "inbound"
            record = replace(record, activity=activity.after_message(inbound=inbound, sent_at=payload.sent_at))
            if inbound and record.first_message_at is None:
                record = replace(
                    record,
                    first_message_kind=payload.content.kind,
                    first_message_text=text_of(payload.content),
                    first_message_at=payload.sent_at,
                )
            return record
        case ConversationClaimedV1() if payload.lead_id:
            return replace(record, lead_id=str(payload.lead_id), activity=activity)
        case ConversationFinishedV1():
            return replace(record, activity=activity.after_finished(at))
        case ConversationReopenedV1():
            return replace(record, activity=activity.after_reopened())
    return record


def number_shared_on_request(payload: Payload, normalize: Callable[[str], str]) -> str | None:
    """The customer's own number, when this message is their answer to a "request contact info" button."""
    if not isinstance(payload, MessageAppendedV1) or payload.direction != "inbound":
        return None
    if not isinstance(payload.content, ContactsContent):
        return None
    for card in payload.content.contacts:
        if card.answers_contact_request and card.phones:
            try:
                return normalize(card.phones[0].wa_id or card.phones[0].phone)
            except ValueError:
                log.warning(
                    "a shared number that is not a phone number was not kept",
                    conversation_id=str(payload.conversation_id),
                )
    return None


async def follow_conversation(
    work: UnitOfWork,
    envelope: Envelope,
    payload: Payload,
    *,
    clock: Clock,
    rules: TemperatureRules,
    normalize: Callable[[str], str] = normalize_phone,
) -> None:
    """Keep the conversation's activity, re-assess its lead, and finish an Add lead whose claim we see here.

    A customer who shares their number through "request contact info" gives it to their lead, if it had none.
    The conversation's record says which of the router's events it has folded: one it has seen changes nothing.
    """
    cid = envelope.stream_id
    before = await work.conversations.get(cid, for_update=True) or ConversationRecord(cid, envelope.account_id)
    if envelope.sequence <= before.last_sequence:
        return  # delivered again
    record = fold_conversation(before, payload, envelope.occurred_at)
    changed = record != before
    if not await work.conversations.save(
        replace(record, last_sequence=envelope.sequence), at=envelope.occurred_at if changed else None
    ):
        raise ConcurrentChange("another consumer folded a later event of this conversation meanwhile")
    lead = await work.leads.get(record.lead_id) if record.lead_id and changed else None
    if lead is not None and lead.status == ACTIVE:
        now = clock()
        point = point_from_record(record)
        if record.opened_by == "lead_owner" and point is not None:
            # the router sent the returning customer straight to the lead's owner: unification, no Add lead
            lead.attach_conversation(cid, point, at=now)
        if shared := number_shared_on_request(payload, normalize):
            lead.take_shared_mobile(shared, conversation_id=cid, at=now)
        assessment = await reassess(work, lead, now, rules)
        work.leads.review_temperature(lead, assessment.review_at)
    if isinstance(payload, ConversationClaimedV1) and payload.lead_id:
        saga = await work.sagas.for_claim(str(payload.lead_id), cid, payload.agent.id)
        if saga is not None:
            # the router granted this saga's claim (a request that died, or a claim that landed late): finish it
            log.info("add lead finished from the router's claim event", lead_id=saga.lead_id)
            await complete_in(work, saga, None, clock=clock, rules=rules)
