"""The timeline projection: one handler per event history cares about, all behind ``handle``.

``handle`` changes the timeline through a ``TimelineStore``; whether an event is new (the inbox, the stream's
position) is the caller's to decide: ``adapters.live_projection`` live, the replay ledger in a rebuild.
"""

from __future__ import annotations

from leadline.events import Envelope
from leadline.events.content import text_of
from leadline.events.ingest import MediaStoredV2
from leadline.events.leads import (
    ConversationAttachedToLeadV1,
    ConversionPointRecordedV1,
    LeadCreatedV2,
    LeadTemperatureChangedV1,
    LeadTransferredV1,
)
from leadline.events.router import (
    ConversationClaimedV1,
    ConversationFinishedV1,
    ConversationOpenedV2,
    ConversationTransferredV1,
    MessageAppendedV1,
    MessageDeliveryUpdatedV1,
    MessageMediaUpdatedV1,
)

from ..domain.rules import KeepPolicy
from ..domain.timeline import Entry, EntryKind, StagedMessage, entries_of_finished_conversation, event_source
from .ports import TimelineStore

CONSUMER = "history-timeline"

HANDLED = frozenset(
    model.EVENT_TYPE
    for model in (
        MessageAppendedV1,
        ConversationFinishedV1,
        ConversationOpenedV2,
        ConversationClaimedV1,
        ConversationTransferredV1,
        MessageDeliveryUpdatedV1,
        LeadCreatedV2,
        ConversationAttachedToLeadV1,
        ConversionPointRecordedV1,
        LeadTemperatureChangedV1,
        LeadTransferredV1,
        MediaStoredV2,
        MessageMediaUpdatedV1,
    )
)
"""The event types ``handle`` changes the timeline for (the cases below); the topics' other events change nothing,
so a consumer need not decode them (most of what history receives: ingest's messages, statuses, the router's
status changes)."""


def _agent(agent) -> dict[str, str] | None:
    return agent.model_dump(mode="json") if agent is not None else None


class TimelineProjection:
    """Folds router, leads and media events into lead timelines. Invariants: each event applies once;
    a conversation's messages join the timeline only when it finishes; entries are unique per source."""

    def __init__(self, policy: KeepPolicy) -> None:
        self.policy = policy

    async def handle(self, store: TimelineStore, envelope: Envelope, payload: object) -> None:
        match payload:
            case MessageAppendedV1():
                await stage_message(store, envelope, payload)
            case ConversationFinishedV1():
                await finish_conversation(store, envelope, payload, self.policy)
            case ConversationOpenedV2():
                await record_conversation_started(store, envelope, payload)
            case ConversationClaimedV1():
                await record_claim(store, envelope, payload)
            case ConversationTransferredV1():
                await record_conversation_transfer(store, envelope, payload)
            case MessageDeliveryUpdatedV1() if payload.wamid:
                await store.set_staged_wamid(payload.message_id, payload.wamid)
            case LeadCreatedV2() | ConversationAttachedToLeadV1():
                await store.map_to_lead(payload.conversation_id, payload.lead_id)
            case ConversionPointRecordedV1():
                await record_conversion_point(store, envelope, payload)
            case LeadTemperatureChangedV1():
                await record_temperature_change(store, envelope, payload)
            case LeadTransferredV1():
                await record_lead_transfer(store, envelope, payload)
            case MediaStoredV2():
                await store.remember_media(payload.wamid, payload.stored.model_dump(mode="json"))
            case MessageMediaUpdatedV1():
                await store.update_message_media(payload.message_id, payload.media.model_dump(mode="json"))


def staged_message(envelope: Envelope, payload: MessageAppendedV1) -> StagedMessage:
    return StagedMessage(
        message_id=payload.message_id,
        conversation_id=payload.conversation_id,
        kind=payload.content.kind,
        direction=payload.direction,
        origin=payload.origin,
        sent_at=payload.sent_at,
        # dumped from the typed model: fields the contract does not know (a Graph URL) never reach the timeline
        content=payload.content.model_dump(mode="json"),
        source_event_id=envelope.event_id,
        sender=payload.sender.model_dump(mode="json") if payload.sender else None,
        wamid=payload.wamid,
        text=text_of(payload.content),
    )


async def stage_message(store: TimelineStore, envelope: Envelope, payload: MessageAppendedV1) -> None:
    # no conversation lock: a conversation's own events arrive in order on one partition
    await store.stage(staged_message(envelope, payload), envelope.account_id)


async def finish_conversation(
    store: TimelineStore, envelope: Envelope, payload: ConversationFinishedV1, policy: KeepPolicy
) -> None:
    """The messages staged since the last finish join the timeline, then the finish itself."""
    lead_id = await store.lock_conversation(payload.conversation_id)
    staged = await store.take_staged(payload.conversation_id)
    media = await store.stored_media_by_wamid(message.wamid for message in staged)
    entries = entries_of_finished_conversation(
        staged, policy, account_id=envelope.account_id, lead_id=lead_id, stored_by_wamid=media
    )
    entries.append(
        Entry(
            event_source(envelope.event_id),
            EntryKind.CONVERSATION_FINISHED,
            envelope.occurred_at,
            envelope.account_id,
            envelope.event_id,
            lead_id=lead_id,
            conversation_id=payload.conversation_id,
            agent=_agent(payload.agent),
        )
    )
    await store.record(entries)


async def _record_conversation_entry(
    store: TimelineStore,
    envelope: Envelope,
    conversation_id,
    kind: EntryKind,
    *,
    lead_id=None,
    agent=None,
    details=None,
) -> None:
    if lead_id is not None:
        await store.map_to_lead(conversation_id, lead_id)
    known_lead = await store.lock_conversation(conversation_id)
    await store.record(
        [
            Entry(
                event_source(envelope.event_id),
                kind,
                envelope.occurred_at,
                envelope.account_id,
                envelope.event_id,
                lead_id=known_lead,
                conversation_id=conversation_id,
                agent=agent,
                details=details or {},
            )
        ]
    )


async def record_conversation_started(store: TimelineStore, envelope: Envelope, payload: ConversationOpenedV2) -> None:
    await _record_conversation_entry(
        store,
        envelope,
        payload.conversation_id,
        EntryKind.CONVERSATION_STARTED,
        lead_id=payload.lead_id,
        agent=_agent(payload.owner),
        details={"opened_by": payload.opened_by, "customer_name": payload.customer_display_name},
    )


async def record_claim(store: TimelineStore, envelope: Envelope, payload: ConversationClaimedV1) -> None:
    await _record_conversation_entry(
        store,
        envelope,
        payload.conversation_id,
        EntryKind.CLAIM,
        lead_id=payload.lead_id,
        agent=_agent(payload.agent),
        details={"team_id": payload.team_id},
    )


async def record_conversation_transfer(
    store: TimelineStore, envelope: Envelope, payload: ConversationTransferredV1
) -> None:
    await _record_conversation_entry(
        store,
        envelope,
        payload.conversation_id,
        EntryKind.TRANSFER,
        agent=_agent(payload.transferred_by),
        details={
            "scope": "conversation",
            "from_agent": _agent(payload.from_agent),
            "to_agent": _agent(payload.to_agent),
            "to_team_id": payload.to_team_id,
            "reason": payload.reason,
        },
    )


async def record_conversion_point(store: TimelineStore, envelope: Envelope, payload: ConversionPointRecordedV1) -> None:
    await store.map_to_lead(payload.conversation_id, payload.lead_id)
    await store.record(
        [
            Entry(
                event_source(envelope.event_id),
                EntryKind.CONVERSION_POINT,
                payload.at,
                envelope.account_id,
                envelope.event_id,
                lead_id=payload.lead_id,
                conversation_id=payload.conversation_id,
                text=payload.first_message_text,
                details={
                    "source": payload.source,
                    "display_phone_number": payload.display_phone_number,
                    "first_message_kind": payload.first_message_kind,
                },
            )
        ]
    )


async def record_temperature_change(
    store: TimelineStore, envelope: Envelope, payload: LeadTemperatureChangedV1
) -> None:
    await store.record(
        [
            Entry(
                event_source(envelope.event_id),
                EntryKind.TEMPERATURE_CHANGE,
                envelope.occurred_at,
                envelope.account_id,
                envelope.event_id,
                lead_id=payload.lead_id,
                temperature=str(payload.to_temperature),
                details={
                    "from": payload.from_temperature and str(payload.from_temperature),
                    "reasons": list(payload.reasons),
                },
            )
        ]
    )


async def record_lead_transfer(store: TimelineStore, envelope: Envelope, payload: LeadTransferredV1) -> None:
    await store.record(
        [
            Entry(
                event_source(envelope.event_id),
                EntryKind.TRANSFER,
                envelope.occurred_at,
                envelope.account_id,
                envelope.event_id,
                lead_id=payload.lead_id,
                agent=_agent(payload.to_agent),
                details={
                    "scope": "lead",
                    "from_agent": _agent(payload.from_agent),
                    "from_team_id": payload.from_team_id,
                    "to_team_id": payload.to_team_id,
                },
            )
        ]
    )
