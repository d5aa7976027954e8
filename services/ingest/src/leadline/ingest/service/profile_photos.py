"""Handler: refresh a customer's profile photo at most once per period, and tell only when it changed.

The WhatsApp Cloud API cannot read customers' photos; its adapter says so
(``supports_profile_photos = False``) and this handler then does nothing at all.
The period check and the claim of the refresh happen in one transaction on the
``contact_photos`` row (a row lock, or the primary key for a first check), so two
concurrent refreshes ask the provider once.
"""

from __future__ import annotations

import enum
from datetime import timedelta

import structlog

from leadline.events import REGISTRY, ContactProfilePhotoChangedV2, StoredMedia, WhatsAppUser, chat_stream_id

from ..domain.media_storage import media_key
from ..domain.profile_photos import DEFAULT_REFRESH_EVERY, photo_changed, photo_refresh_due
from .ports import Clock, MediaStore, ProfilePhotoProvider, UnitOfWorkFactory

log = structlog.get_logger(__name__)


class PhotoRefresh(enum.StrEnum):
    UNSUPPORTED = "unsupported"
    NOT_DUE = "not_due"
    UNCHANGED = "unchanged"
    CHANGED = "changed"


async def refresh_profile_photo(
    *,
    account_id: str,
    phone_number_id: str,
    customer_wa_id: str,
    uow_factory: UnitOfWorkFactory,
    provider: ProfilePhotoProvider,
    store: MediaStore,
    clock: Clock,
    every: timedelta = DEFAULT_REFRESH_EVERY,
) -> PhotoRefresh:
    if not provider.supports_profile_photos:
        return PhotoRefresh.UNSUPPORTED
    stream_id = chat_stream_id(phone_number_id, customer_wa_id)
    now = clock()
    async with uow_factory() as uow:
        previous = await uow.contact_photos.get_for_update(stream_id)
        if previous is not None:
            if not photo_refresh_due(previous.last_checked_at, now, every):
                return PhotoRefresh.NOT_DUE
            await uow.contact_photos.set_checked(stream_id, now)
        elif not await uow.contact_photos.add(stream_id, now):
            return PhotoRefresh.NOT_DUE  # a concurrent refresh claimed this first check
        await uow.commit()

    try:
        photo = await provider.profile_photo(phone_number_id, customer_wa_id)
    except Exception:
        async with uow_factory() as uow:  # give the claim back: a failed look is not a look
            if previous is None:
                await uow.contact_photos.forget(stream_id)
            else:
                await uow.contact_photos.set_checked(stream_id, previous.last_checked_at)
            await uow.commit()
        raise

    key, sha256 = media_key(photo.data, photo.mime_type) if photo is not None else (None, None)
    if not photo_changed(previous.sha256 if previous is not None else None, sha256):
        return PhotoRefresh.UNCHANGED
    stored: StoredMedia | None = None  # None: the customer removed the photo or hid it from us
    if photo is not None and key is not None and sha256 is not None:
        uri = await store.put(key, photo.data, photo.mime_type)
        stored = StoredMedia(key=key, uri=uri, size_bytes=len(photo.data), sha256=sha256)

    async with uow_factory() as uow:
        await uow.contact_photos.set_photo(stream_id, sha256)
        payload = ContactProfilePhotoChangedV2(
            phone_number_id=phone_number_id, customer=WhatsAppUser(wa_id=customer_wa_id), photo=stored
        )
        envelope = REGISTRY.encode(
            payload, account_id=account_id, sequence=await uow.sequences.next(stream_id), occurred_at=clock()
        )
        await uow.outbox.stage([envelope])
        await uow.commit()
    log.info("profile photo changed", stream_id=stream_id, removed=stored is None)
    return PhotoRefresh.CHANGED
