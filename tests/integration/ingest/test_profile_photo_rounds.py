"""The profile-photo worker's rounds: whose photo is looked at (customers who wrote lately, on numbers whose provider
reads photos, not looked at within the period), how fast per instance, and what a provider that is down costs."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from leadline.events import ContactProfilePhotoChangedV2, chat_stream_id
from leadline.ingest.adapters.media_store import LocalMediaStore
from leadline.ingest.adapters.tables import inbound_messages
from leadline.ingest.domain.send_throughput import SendThroughput
from leadline.ingest.service.profile_photo_rounds import PhotoRefreshPolicy, PhotoSource, refresh_due_photos
from tests.integration.ingest.outbound_support import ACCOUNT, FakeTime, ingest_db  # noqa: F401 - fixture
from tests.integration.ingest.test_profile_photos import NEW_PORTRAIT, FakePhotoProvider

EVOLUTION_NUMBER, OTHER_INSTANCE_NUMBER, CLOUD_NUMBER = "5511400000077", "5511400000078", "106540352242922"


def customer(n: int) -> str:
    return f"55119876500{n:02d}"


async def customer_wrote(db, number: str, wa_id: str, *, at, origin: str = "customer") -> None:
    async with db.sessions() as session:
        await session.execute(
            inbound_messages.insert().values(
                wamid=f"wamid.{uuid.uuid4().hex}",
                stream_id=chat_stream_id(number, wa_id),
                origin=origin,
                kind="text",
                event_id=uuid.uuid4(),
                received_at=at,
            )
        )
        await session.commit()


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def round_of(ingest_db, tmp_path, time):  # noqa: F811 - the fixture imported above
    async def run(sources, *, pace: SendThroughput | None = None, slept: list[float] | None = None):
        async def sleep(seconds: float) -> None:
            (slept if slept is not None else []).append(seconds)

        return await refresh_due_photos(
            sources,
            uow_factory=ingest_db.uow,
            store=LocalMediaStore(tmp_path),
            clock=time.clock,
            pace=pace or SendThroughput(rate_per_s=100, burst=100),
            monotonic=lambda: 0.0,  # no time passes between looks: every wait is the bucket's
            sleep=sleep,
            policy=PhotoRefreshPolicy(every=timedelta(days=7), recent=timedelta(days=30)),
            default_account_id=ACCOUNT,
        )

    return run


async def test_customers_who_wrote_lately_to_a_number_that_reads_photos_are_looked_at(ingest_db, round_of, time):  # noqa: F811
    evolution, cloud = FakePhotoProvider(), FakePhotoProvider(supports_profile_photos=False)  # as the Cloud API
    await customer_wrote(ingest_db, EVOLUTION_NUMBER, customer(1), at=time.now - timedelta(hours=1))
    await customer_wrote(ingest_db, EVOLUTION_NUMBER, customer(2), at=time.now - timedelta(days=31))  # long ago
    await customer_wrote(ingest_db, EVOLUTION_NUMBER, customer(3), at=time.now, origin="phone_echo")  # not theirs
    await customer_wrote(ingest_db, CLOUD_NUMBER, customer(4), at=time.now)

    outcomes = await round_of(
        [PhotoSource(EVOLUTION_NUMBER, "loja", evolution), PhotoSource(CLOUD_NUMBER, "meta", cloud)]
    )

    assert outcomes == {"changed": 1}
    assert evolution.calls == [(EVOLUTION_NUMBER, customer(1))] and cloud.calls == []
    [announced] = await ingest_db.staged_payloads()
    assert isinstance(announced, ContactProfilePhotoChangedV2) and announced.customer.wa_id == customer(1)


async def test_a_photo_is_looked_at_again_only_after_the_period_and_announced_only_when_it_changed(
    ingest_db,  # noqa: F811
    round_of,
    time,
):
    provider = FakePhotoProvider()
    sources = [PhotoSource(EVOLUTION_NUMBER, "loja", provider)]
    await customer_wrote(ingest_db, EVOLUTION_NUMBER, customer(1), at=time.now)

    first = await round_of(sources)
    time.advance(days=6, hours=23)
    not_due = await round_of(sources)
    time.advance(hours=1)
    await customer_wrote(ingest_db, EVOLUTION_NUMBER, customer(1), at=time.now)
    unchanged = await round_of(sources)
    time.advance(days=7)
    provider.photo = NEW_PORTRAIT
    changed = await round_of(sources)
    time.advance(days=7)
    provider.photo = None  # removed, or made private: the initials come back
    removed = await round_of(sources)

    assert (first, not_due, unchanged, changed, removed) == (
        {"changed": 1},
        {},
        {"unchanged": 1},
        {"changed": 1},
        {"changed": 1},
    )
    assert len(provider.calls) == 4
    photos = [event.photo for event in await ingest_db.staged_payloads()]
    assert photos[0] is not None and photos[1] is not None and photos[0].sha256 != photos[1].sha256
    assert photos[2] is None


async def test_a_private_photo_is_never_announced_and_the_initials_stay(ingest_db, round_of, time):  # noqa: F811
    provider = FakePhotoProvider(photo=None)
    await customer_wrote(ingest_db, EVOLUTION_NUMBER, customer(1), at=time.now)

    assert await round_of([PhotoSource(EVOLUTION_NUMBER, "loja", provider)]) == {"unchanged": 1}
    assert await ingest_db.staged() == []


async def test_each_instance_is_paced_on_its_own(ingest_db, round_of, time):  # noqa: F811
    busy, quiet = FakePhotoProvider(), FakePhotoProvider()
    for n in range(3):
        await customer_wrote(ingest_db, EVOLUTION_NUMBER, customer(n), at=time.now)
    await customer_wrote(ingest_db, OTHER_INSTANCE_NUMBER, customer(9), at=time.now)
    slept: list[float] = []

    outcomes = await round_of(
        [PhotoSource(EVOLUTION_NUMBER, "loja", busy), PhotoSource(OTHER_INSTANCE_NUMBER, "seminovos", quiet)],
        pace=SendThroughput(rate_per_s=0.5, burst=1),
        slept=slept,
    )

    assert outcomes == {"changed": 4}
    assert sorted(slept) == [2.0, 4.0], "the busy instance waits 2 s per look after its first; the other never waits"


async def test_a_provider_that_is_down_is_left_alone_until_the_next_round(ingest_db, round_of, time):  # noqa: F811
    down, up = FakePhotoProvider(failing=True), FakePhotoProvider()
    for n in range(3):
        await customer_wrote(ingest_db, EVOLUTION_NUMBER, customer(n), at=time.now)
    await customer_wrote(ingest_db, OTHER_INSTANCE_NUMBER, customer(9), at=time.now)
    sources = [PhotoSource(EVOLUTION_NUMBER, "loja", down), PhotoSource(OTHER_INSTANCE_NUMBER, "seminovos", up)]

    during = await round_of(sources)
    down.failing = False
    after = await round_of(sources)

    assert during == {"failed": 1, "changed": 1}, "one failed look stops the instance's round; the other goes on"
    assert after == {"changed": 3}, "the failed look did not count: all three are due at the next round"
