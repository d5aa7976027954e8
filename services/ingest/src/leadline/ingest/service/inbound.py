"""Handler: store a signed webhook delivery and the events it carries, exactly once per fact.

One transaction archives the raw body, records each message's wamid (its primary key
makes a redelivered message a no-op), moves statuses only forward, schedules media
downloads, and stages the events in the outbox. The webhook is answered 200 only after
it commits; the relay publishes afterwards, so a broker outage loses nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog

from leadline.events import MessageEchoedV1, MessageReceivedV1, MessageStatusChangedV1, is_media, new_envelope
from leadline.events.envelope import Envelope, Payload

from .ports import MediaToFetch, UnitOfWork

log = structlog.get_logger(__name__)
ChatFact = MessageReceivedV1 | MessageEchoedV1 | MessageStatusChangedV1


@dataclass(frozen=True)
class AcceptedDelivery:
    events: tuple[Envelope, ...]
    duplicates: int
    media_scheduled: int


def _media_of(fact: MessageReceivedV1 | MessageEchoedV1, account_id: str) -> MediaToFetch | None:
    content = fact.content
    media = getattr(content, "media", None)
    if not is_media(content.kind) or media is None or not media.provider_media_id:
        return None
    return MediaToFetch(
        wamid=fact.wamid, account_id=account_id, phone_number_id=fact.phone_number_id,
        customer_wa_id=fact.customer_wa_id, provider_media_id=media.provider_media_id, mime_type=media.mime_type,
    )


async def _is_new(uow: UnitOfWork, fact: ChatFact, stream_id: str, event_id: uuid.UUID) -> bool:
    if isinstance(fact, MessageStatusChangedV1):
        return await uow.statuses.advance(fact.wamid, fact.status.value)
    origin = "customer" if isinstance(fact, MessageReceivedV1) else "phone_echo"
    return await uow.messages.record_if_new(
        wamid=fact.wamid, stream_id=stream_id, origin=origin, kind=fact.content.kind, event_id=event_id
    )


async def accept_delivery(
    raw_body: bytes,
    facts: Sequence[ChatFact],
    *,
    uow: UnitOfWork,
    default_account_id: str,
    now: Callable[[], datetime],
) -> AcceptedDelivery:
    """Store one delivery. Facts are taken in stream order (stable), so concurrent deliveries lock chats alike."""
    envelopes: list[Envelope] = []
    media: list[MediaToFetch] = []
    duplicates = 0
    accounts: dict[str, str] = {}
    async with uow:
        for fact in sorted(facts, key=lambda f: (f.phone_number_id, f.customer_wa_id)):
            if fact.phone_number_id not in accounts:
                accounts[fact.phone_number_id] = await uow.numbers.account_for(fact.phone_number_id) or default_account_id
            account_id = accounts[fact.phone_number_id]
            stream_id = fact.stream_id(account_id)
            event_id = uuid.uuid4()
            if not await _is_new(uow, fact, stream_id, event_id):
                duplicates += 1
                continue
            envelopes.append(_envelope(fact, account_id, stream_id, await uow.sequences.next(stream_id), event_id, now()))
            if not isinstance(fact, MessageStatusChangedV1) and (item := _media_of(fact, account_id)):
                media.append(item)
        await uow.deliveries.archive(raw_body, len(envelopes))
        await uow.media_jobs.schedule(media)
        await uow.outbox.stage(envelopes)
        await uow.commit()
    if duplicates:
        log.info("duplicate webhook facts ignored", duplicates=duplicates)
    return AcceptedDelivery(tuple(envelopes), duplicates, len(media))


def _envelope(payload: Payload, account_id: str, stream_id: str, sequence: int, event_id: uuid.UUID, at: datetime) -> Envelope:
    return new_envelope(payload, account_id=account_id, stream_id=stream_id, sequence=sequence, occurred_at=at, event_id=event_id)


async def quarantine_delivery(raw_body: bytes, reason: str, *, uow: UnitOfWork) -> None:
    """Keep a signed but malformed delivery for inspection; nothing is emitted for it."""
    async with uow:
        await uow.deliveries.quarantine(raw_body, reason)
        await uow.commit()
    log.warning("malformed webhook quarantined", reason=reason)


async def remember_business_number(phone_number_id: str, account_id: str, *, uow: UnitOfWork) -> None:
    """Integration events name each number's account; later webhooks on it carry that account."""
    async with uow:
        await uow.numbers.register(phone_number_id, account_id)
        await uow.commit()
