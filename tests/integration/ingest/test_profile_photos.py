"""Customers' profile photos: asked for at most once a week, announced only when they changed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from leadline.events import ContactProfilePhotoChangedV2
from leadline.ingest.adapters.media_store import LocalMediaStore
from leadline.ingest.adapters.tables import contact_photos
from leadline.ingest.service.ports import ProfilePhoto, ProfilePhotosUnsupported
from leadline.ingest.service.profile_photos import PhotoRefresh, refresh_profile_photo
from tests.integration.ingest.outbound_support import ACCOUNT, CUSTOMER, PHONE_NUMBER_ID, FakeTime

PORTRAIT = ProfilePhoto(b"\x89PNG portrait at the beach", "image/png")
NEW_PORTRAIT = ProfilePhoto(b"\x89PNG portrait with the new car", "image/png")


@dataclass
class FakePhotoProvider:
    """A provider that can see profile photos (the outside world: some other WhatsApp gateway)."""

    photo: ProfilePhoto | None = PORTRAIT
    failing: bool = False
    calls: list[tuple[str, str]] = field(default_factory=list)
    supports_profile_photos: bool = True

    async def profile_photo(self, phone_number_id: str, wa_id: str) -> ProfilePhoto | None:
        self.calls.append((phone_number_id, wa_id))
        await asyncio.sleep(0.01)
        if self.failing:
            raise ConnectionError("provider down")
        return self.photo


async def refresh(ingest_db, provider, store, time: FakeTime, **kwargs) -> PhotoRefresh:
    return await refresh_profile_photo(
        account_id=ACCOUNT,
        phone_number_id=PHONE_NUMBER_ID,
        customer_wa_id=CUSTOMER,
        uow_factory=ingest_db.uow,
        provider=provider,
        store=store,
        clock=time.clock,
        **kwargs,
    )


async def test_the_cloud_api_cannot_give_profile_photos_and_says_so(ingest_db, meta, tmp_path):
    assert meta.graph.supports_profile_photos is False
    with pytest.raises(ProfilePhotosUnsupported):
        await meta.graph.profile_photo(PHONE_NUMBER_ID, CUSTOMER)

    assert await refresh(ingest_db, meta.graph, LocalMediaStore(tmp_path), FakeTime()) is PhotoRefresh.UNSUPPORTED
    assert await ingest_db.staged() == [] and await ingest_db.rows(contact_photos) == []


async def test_a_first_photo_is_stored_and_announced(ingest_db, tmp_path):
    provider = FakePhotoProvider()

    assert await refresh(ingest_db, provider, LocalMediaStore(tmp_path), FakeTime()) is PhotoRefresh.CHANGED

    [event] = await ingest_db.staged_payloads()
    assert isinstance(event, ContactProfilePhotoChangedV2)
    assert event.customer.wa_id == CUSTOMER and event.photo is not None
    assert (tmp_path / event.photo.key).read_bytes() == PORTRAIT.data


async def test_a_changed_photo_is_announced_and_an_unchanged_one_is_not(ingest_db, tmp_path):
    provider, store, time = FakePhotoProvider(), LocalMediaStore(tmp_path), FakeTime()
    await refresh(ingest_db, provider, store, time)

    time.advance(days=7)
    unchanged = await refresh(ingest_db, provider, store, time)
    time.advance(days=7)
    provider.photo = NEW_PORTRAIT
    changed = await refresh(ingest_db, provider, store, time)

    assert (unchanged, changed) == (PhotoRefresh.UNCHANGED, PhotoRefresh.CHANGED)
    assert len(provider.calls) == 3
    first, second = await ingest_db.staged_payloads()
    assert second.photo.sha256 != first.photo.sha256
    assert (tmp_path / second.photo.key).read_bytes() == NEW_PORTRAIT.data


async def test_a_removed_photo_is_announced_without_a_photo(ingest_db, tmp_path):
    provider, store, time = FakePhotoProvider(), LocalMediaStore(tmp_path), FakeTime()
    await refresh(ingest_db, provider, store, time)
    time.advance(days=8)
    provider.photo = None

    assert await refresh(ingest_db, provider, store, time) is PhotoRefresh.CHANGED

    _, removed = await ingest_db.staged_payloads()
    assert isinstance(removed, ContactProfilePhotoChangedV2) and removed.photo is None


async def test_asking_twice_within_seven_days_calls_the_provider_once(ingest_db, tmp_path):
    provider, store, time = FakePhotoProvider(), LocalMediaStore(tmp_path), FakeTime()

    first = await refresh(ingest_db, provider, store, time)
    time.advance(days=6, hours=23)
    second = await refresh(ingest_db, provider, store, time)

    assert (first, second) == (PhotoRefresh.CHANGED, PhotoRefresh.NOT_DUE)
    assert len(provider.calls) == 1
    assert len(await ingest_db.staged()) == 1


async def test_concurrent_refreshes_of_a_new_contact_call_the_provider_once(ingest_db, tmp_path):
    provider, store, time = FakePhotoProvider(), LocalMediaStore(tmp_path), FakeTime()

    outcomes = await asyncio.gather(*(refresh(ingest_db, provider, store, time) for _ in range(4)))

    assert sorted(outcomes) == sorted([PhotoRefresh.CHANGED] + [PhotoRefresh.NOT_DUE] * 3)
    assert len(provider.calls) == 1, "the contact_photos primary key let one refresh through"


async def test_the_refresh_period_is_configurable(ingest_db, tmp_path):
    provider, store, time = FakePhotoProvider(), LocalMediaStore(tmp_path), FakeTime()
    await refresh(ingest_db, provider, store, time, every=timedelta(days=1))
    time.advance(days=1)

    assert await refresh(ingest_db, provider, store, time, every=timedelta(days=1)) is PhotoRefresh.UNCHANGED
    assert len(provider.calls) == 2


async def test_a_look_that_failed_does_not_count_as_a_look(ingest_db, tmp_path):
    provider, store, time = FakePhotoProvider(failing=True), LocalMediaStore(tmp_path), FakeTime()
    with pytest.raises(ConnectionError):
        await refresh(ingest_db, provider, store, time)
    provider.failing = False

    assert await refresh(ingest_db, provider, store, time) is PhotoRefresh.CHANGED
    assert len(provider.calls) == 2
