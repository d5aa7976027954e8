"""Handler: store signed webhook deliveries and the events they carry, exactly once per fact.

One transaction (for a batch of deliveries: see ``GroupCommit``) archives the raw bodies, records each message's wamid (its primary key
makes a redelivered message a no-op), moves statuses only forward, schedules media
downloads, quarantines the parts that could not be read, and stages the events in the outbox. The webhook is answered 200 only after
it commits; the relay publishes afterwards, so a broker outage loses nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog

from leadline.events import (
    MediaStoredV2,
    MessageEchoedV2,
    MessageReceivedV2,
    MessageStatusChangedV2,
    is_media,
    new_envelope,
)
from leadline.events.envelope import Envelope

from ..domain.evolution_instances import EvolutionInstance
from .ports import MediaToFetch, NewMessage, Quarantined, UnitOfWork

log = structlog.get_logger(__name__)
ChatFact = MessageReceivedV2 | MessageEchoedV2 | MessageStatusChangedV2


@dataclass(frozen=True)
class Delivery:
    """One signed webhook body, the facts parsed from it in delivery order, and the parts that could not be read."""

    raw_body: bytes
    facts: tuple[ChatFact, ...]
    unreadable: tuple[Quarantined, ...] = ()
    stored_media: tuple[MediaStoredV2, ...] = ()
    """Media the delivery carried itself, already in the media store: emitted right after their message when it is
    new, and never fetched."""


@dataclass(frozen=True)
class AcceptedDelivery:
    events: tuple[Envelope, ...]
    duplicates: int
    media_scheduled: int
    unowned_numbers: frozenset[str] = frozenset()
    """Business numbers in the delivery that no account owns: stored under the default account."""


def _media_of(fact: MessageReceivedV2 | MessageEchoedV2, account_id: str) -> MediaToFetch | None:
    media = getattr(fact.content, "media", None)
    if not is_media(fact.content.kind) or media is None or not media.provider_media_id:
        return None
    return MediaToFetch(
        wamid=fact.wamid,
        account_id=account_id,
        phone_number_id=fact.phone_number_id,
        customer_wa_id=fact.customer.chat_key,
        provider_media_id=media.provider_media_id,
        mime_type=media.mime_type,
    )


@dataclass
class _Candidate:
    delivery: int
    fact: ChatFact
    account_id: str
    stream_id: str
    event_id: uuid.UUID


async def accept_deliveries(
    deliveries: Sequence[Delivery], *, uow: UnitOfWork, default_account_id: str, now: Callable[[], datetime]
) -> list[AcceptedDelivery]:
    """Store deliveries in one transaction; each fact is new at most once across all of them and all time."""
    async with uow:
        phone_number_ids = {fact.phone_number_id for delivery in deliveries for fact in delivery.facts}
        accounts = await uow.numbers.accounts_for(phone_number_ids) if phone_number_ids else {}
        candidates = []
        for index, delivery in enumerate(deliveries):
            for fact in delivery.facts:
                account_id = accounts.get(fact.phone_number_id, default_account_id)
                candidates.append(_Candidate(index, fact, account_id, fact.stream_id(account_id), uuid.uuid4()))
        new = await _new_facts(uow, candidates)
        carried = {media.wamid: media for delivery in deliveries for media in delivery.stored_media}
        with_media = {id(c) for c in new if not isinstance(c.fact, MessageStatusChangedV2) and c.fact.wamid in carried}
        first_sequences = await uow.sequences.reserve(
            Counter(c.stream_id for c in new) + Counter(c.stream_id for c in new if id(c) in with_media)
        )
        next_sequence = dict(first_sequences)
        at = now()
        events: list[list[Envelope]] = [[] for _ in deliveries]
        media: list[MediaToFetch] = []
        media_per_delivery = Counter()
        for candidate in new:
            sequence = next_sequence[candidate.stream_id]
            next_sequence[candidate.stream_id] += 1
            events[candidate.delivery].append(
                new_envelope(
                    candidate.fact,
                    account_id=candidate.account_id,
                    stream_id=candidate.stream_id,
                    sequence=sequence,
                    occurred_at=at,
                    event_id=candidate.event_id,
                )
            )
            if id(candidate) in with_media:
                sequence = next_sequence[candidate.stream_id]
                next_sequence[candidate.stream_id] += 1
                events[candidate.delivery].append(
                    new_envelope(
                        carried[candidate.fact.wamid],
                        account_id=candidate.account_id,
                        stream_id=candidate.stream_id,
                        sequence=sequence,
                        occurred_at=at,
                    )
                )
            elif not isinstance(candidate.fact, MessageStatusChangedV2) and (
                item := _media_of(candidate.fact, candidate.account_id)
            ):
                media.append(item)
                media_per_delivery[candidate.delivery] += 1
        await uow.deliveries.archive_many([(d.raw_body, len(e)) for d, e in zip(deliveries, events, strict=True)])
        await uow.deliveries.quarantine([part for delivery in deliveries for part in delivery.unreadable])
        await uow.media_jobs.schedule(media)
        await uow.outbox.stage([envelope for per_delivery in events for envelope in per_delivery])
        await uow.commit()
    return [
        AcceptedDelivery(
            tuple(delivered),
            len(delivery.facts) - sum(1 for c in new if c.delivery == index),
            media_per_delivery[index],
            frozenset(fact.phone_number_id for fact in delivery.facts if fact.phone_number_id not in accounts),
        )
        for index, (delivery, delivered) in enumerate(zip(deliveries, events, strict=True))
    ]


async def _new_facts(uow: UnitOfWork, candidates: list[_Candidate]) -> list[_Candidate]:
    """The candidates that are news: a message's first sighting, or a status that moves its message forward."""
    messages: dict[str, _Candidate] = {}
    for c in candidates:
        if not isinstance(c.fact, MessageStatusChangedV2):
            messages.setdefault(c.fact.wamid, c)  # the same wamid twice in one batch: the first counts
    recorded = await uow.messages.record_new(
        [
            NewMessage(
                wamid=wamid,
                stream_id=c.stream_id,
                origin="customer" if isinstance(c.fact, MessageReceivedV2) else "phone_echo",
                kind=c.fact.content.kind,
                event_id=c.event_id,
            )
            for wamid, c in messages.items()
        ]
    )
    statuses = [c for c in candidates if isinstance(c.fact, MessageStatusChangedV2)]
    moved = await uow.statuses.advance_many([(c.fact.wamid, c.fact.status.value) for c in statuses])
    forward = {id(c) for c, ok in zip(statuses, moved, strict=True) if ok}
    return [c for c in candidates if id(c) in forward or (c.fact.wamid in recorded and messages.get(c.fact.wamid) is c)]


async def quarantine_delivery(raw_body: bytes, reason: str, *, uow: UnitOfWork) -> None:
    """Keep a signed body that is no delivery at all for inspection; nothing is emitted for it."""
    async with uow:
        await uow.deliveries.quarantine([Quarantined(raw_body, reason)])
        await uow.commit()
    log.warning("malformed webhook quarantined", reason=reason)


async def remember_business_number(
    phone_number_id: str,
    account_id: str,
    *,
    uow: UnitOfWork,
    waba_id: str | None = None,
    evolution: EvolutionInstance | None = None,
) -> None:
    """Integration events name each number's account (later webhooks on it carry that account), WhatsApp Business
    Account (where its templates are read) and, for a number connected through Evolution API, its instance."""
    async with uow:
        await uow.numbers.register(phone_number_id, account_id, waba_id, evolution)
        await uow.commit()
