"""Handler: store an authenticated Evolution API webhook and the events it carries, exactly once per fact.

Messages, echoes and statuses go through the same ``accept_deliveries`` as the Cloud API's (one transaction, wamid
keys, forward-only statuses), so everything after ingest reads the same ``ingest.*`` events. Media sent in the webhook
is put in the media store first (content-addressed: a redelivery writes the same key) and its ``MediaStoredV2``
follows its message in the same transaction; other media is fetched later from Evolution. A connection change is its
own event on the number's stream. The webhook is answered 200 only after the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from leadline.events import (
    MediaStoredV2,
    MessageStatusChangedV2,
    NumberConnection,
    NumberConnectionChangedV1,
    StoredMedia,
    WhatsAppUser,
    new_envelope,
)

from ..domain.evolution_instances import EvolutionNumber, connection_of
from ..domain.media_storage import media_key
from .inbound import AcceptedDelivery, ChatFact, Delivery, accept_deliveries
from .ports import ConnectionChange, InlineMedia, MediaStore, Quarantined, UnitOfWork


async def accept_evolution_delivery(
    number: EvolutionNumber,
    raw_body: bytes,
    *,
    facts: tuple[ChatFact, ...] = (),
    inline_media: tuple[InlineMedia, ...] = (),
    connection: ConnectionChange | None = None,
    unreadable: tuple[Quarantined, ...] = (),
    uow: Callable[[], UnitOfWork],
    store: MediaStore,
    now: Callable[[], datetime],
) -> AcceptedDelivery:
    """Store one webhook (whatever it carried: messages, statuses, a connection change, or nothing we read)."""
    if connection is not None:
        return await _record_connection(number, connection, raw_body, unreadable, uow=uow(), now=now)
    customers = {fact.wamid: fact.customer for fact in facts if not isinstance(fact, MessageStatusChangedV2)}
    stored = [
        await _store(number.phone_number_id, media, customers[media.wamid], store)
        for media in inline_media
        if media.wamid in customers
    ]
    [accepted] = await accept_deliveries(
        [Delivery(raw_body, facts, unreadable, tuple(stored))],
        uow=uow(),
        default_account_id=number.account_id,
        now=now,
    )
    return accepted


async def _store(phone_number_id: str, media: InlineMedia, customer: WhatsAppUser, store: MediaStore) -> MediaStoredV2:
    key, sha256 = media_key(media.data, media.mime_type)
    uri = await store.put(key, media.data, media.mime_type)
    return MediaStoredV2(
        phone_number_id=phone_number_id,
        customer=customer,
        wamid=media.wamid,
        provider_media_id=media.wamid.rsplit(".", 1)[-1],
        stored=StoredMedia(key=key, uri=uri, size_bytes=len(media.data), sha256=sha256),
        mime_type=media.mime_type,
    )


async def _record_connection(
    number: EvolutionNumber,
    change: ConnectionChange,
    raw_body: bytes,
    unreadable: tuple[Quarantined, ...],
    *,
    uow: UnitOfWork,
    now: Callable[[], datetime],
) -> AcceptedDelivery:
    connection, needs_qr_code = connection_of(change.state, change.reason_code)
    at = now()
    payload = NumberConnectionChangedV1(
        phone_number_id=number.phone_number_id,
        connection=NumberConnection(connection),
        needs_qr_code=needs_qr_code,
        reason_code=change.reason_code,
        at=at,
    )
    stream_id = payload.stream_id(number.account_id)
    async with uow:
        envelope = new_envelope(
            payload,
            account_id=number.account_id,
            stream_id=stream_id,
            sequence=await uow.sequences.next(stream_id),
            occurred_at=at,
        )
        await uow.deliveries.archive_many([(raw_body, 1)])
        await uow.deliveries.quarantine(unreadable)
        await uow.outbox.stage([envelope])
        await uow.commit()
    return AcceptedDelivery((envelope,), 0, 0)
