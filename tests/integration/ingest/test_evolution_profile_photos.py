"""Profile photos through a real Evolution number: ingest's client against the fake Evolution API's photo routes (as
Evolution v2 answers ``chat/fetchProfilePictureUrl`` and WhatsApp's CDN serves the picture), the worker's round over
the numbers the account configuration made Evolution ones, and the media store."""

from __future__ import annotations

import httpx
import pytest

from leadline.events import ContactProfilePhotoChangedV2
from leadline.fakegraph.evolution.profile_photos import PORTRAIT, FakeProfilePhotos
from leadline.fakegraph.evolution.server import FakeEvolutionSettings, FakeEvolutionState, create_app
from leadline.ingest.adapters.evolution.api_keys import EvolutionApiKeys
from leadline.ingest.adapters.evolution.client import EvolutionClient
from leadline.ingest.adapters.evolution.profile_photos import evolution_photo_sources
from leadline.ingest.adapters.media_store import LocalMediaStore
from leadline.ingest.domain.evolution_instances import EvolutionInstance
from leadline.ingest.domain.send_throughput import SendThroughput
from leadline.ingest.service.profile_photo_rounds import refresh_due_photos
from tests.integration.ingest.outbound_support import ACCOUNT, FakeTime, ingest_db  # noqa: F401 - fixture
from tests.integration.ingest.test_profile_photo_rounds import customer_wrote

NUMBER, CUSTOMER, API_KEY = "5511934567890", "551187654321", "evo-secret-key"  # a JID without the ninth digit
INSTANCE = EvolutionInstance("http://evolution.test", "acme-usados", "acme-usados")


@pytest.fixture
def fake() -> FakeEvolutionState:
    return FakeEvolutionState()


@pytest.fixture
def photos(fake) -> FakeProfilePhotos:
    return fake.photos


@pytest.fixture
async def evolution(fake, tmp_path):
    """Ingest's Evolution client, its key in the keys directory, talking to the fake Evolution API in-process."""
    app = create_app(FakeEvolutionSettings(instance=INSTANCE.instance, number=NUMBER, api_key=API_KEY), state=fake)
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / INSTANCE.api_key_secret).write_text(API_KEY)
    client = EvolutionClient(EvolutionApiKeys(keys), transport=httpx.ASGITransport(app))
    yield client
    await client.aclose()


async def a_round(db, client, store, time):
    return await refresh_due_photos(
        await evolution_photo_sources(client, db.uow)(),
        uow_factory=db.uow,
        store=store,
        clock=time.clock,
        pace=SendThroughput(rate_per_s=100, burst=100),
        monotonic=lambda: 0.0,
        default_account_id="unknown",
    )


async def evolution_number(db, instance: EvolutionInstance = INSTANCE) -> None:
    async with db.uow() as uow:
        await uow.numbers.register(NUMBER, ACCOUNT, evolution=instance)
        await uow.commit()


async def test_a_customers_photo_is_read_through_their_evolution_number_and_kept_in_the_media_store(
    ingest_db,  # noqa: F811
    evolution,
    tmp_path,
):
    time, store = FakeTime(), LocalMediaStore(tmp_path / "media")
    await evolution_number(ingest_db)
    await customer_wrote(ingest_db, NUMBER, CUSTOMER, at=time.now)

    assert await a_round(ingest_db, evolution, store, time) == {"changed": 1}

    [event] = await ingest_db.staged()
    changed = ContactProfilePhotoChangedV2.model_validate(event.payload)
    assert event.account_id == ACCOUNT and changed.customer.wa_id == CUSTOMER and changed.photo is not None
    assert (tmp_path / "media" / changed.photo.key).read_bytes() == PORTRAIT.read()
    assert changed.photo.key.endswith(".jpg")


async def test_a_week_later_an_unchanged_photo_is_not_announced_a_new_one_is_and_a_hidden_one_goes(
    ingest_db,  # noqa: F811
    evolution,
    photos,
    tmp_path,
):
    time, store = FakeTime(), LocalMediaStore(tmp_path / "media")
    await evolution_number(ingest_db)
    await customer_wrote(ingest_db, NUMBER, CUSTOMER, at=time.now)
    first = await a_round(ingest_db, evolution, store, time)
    time.advance(days=7)
    unchanged = await a_round(ingest_db, evolution, store, time)
    time.advance(days=7)
    photos.photos[CUSTOMER] = "new"
    changed = await a_round(ingest_db, evolution, store, time)
    time.advance(days=7)
    photos.photos[CUSTOMER] = "none"
    hidden = await a_round(ingest_db, evolution, store, time)

    assert [first, unchanged, changed, hidden] == [{"changed": 1}, {"unchanged": 1}, {"changed": 1}, {"changed": 1}]
    events = [ContactProfilePhotoChangedV2.model_validate(e.payload) for e in await ingest_db.staged()]
    assert [e.photo is None for e in events] == [False, False, True], "hidden: the initials come back"


async def test_a_customer_whose_photo_is_private_keeps_the_initials(ingest_db, evolution, photos, tmp_path):  # noqa: F811
    time = FakeTime()
    photos.photos[CUSTOMER] = "none"
    await evolution_number(ingest_db)
    await customer_wrote(ingest_db, NUMBER, CUSTOMER, at=time.now)

    assert await a_round(ingest_db, evolution, LocalMediaStore(tmp_path), time) == {"unchanged": 1}
    assert await ingest_db.staged() == []


async def test_an_evolution_server_that_does_not_answer_costs_one_failed_look_and_the_next_round_tries_again(
    ingest_db,  # noqa: F811
    evolution,
    tmp_path,
):
    time, store = FakeTime(), LocalMediaStore(tmp_path)
    await evolution_number(ingest_db, EvolutionInstance("http://127.0.0.1:9", "acme-usados", "acme-usados"))
    await customer_wrote(ingest_db, NUMBER, CUSTOMER, at=time.now)
    keys = EvolutionApiKeys(tmp_path / "nowhere")
    (tmp_path / "nowhere").mkdir()
    (tmp_path / "nowhere" / "acme-usados").write_text(API_KEY)
    unreachable = EvolutionClient(keys, timeout_s=2)
    try:
        down = await a_round(ingest_db, unreachable, store, time)
    finally:
        await unreachable.aclose()
    await evolution_number(ingest_db)  # the server is back (here: at the fake's address)
    back = await a_round(ingest_db, evolution, store, time)

    assert (down, back) == ({"failed": 1}, {"changed": 1})


async def test_a_key_the_instance_does_not_know_is_refused_and_the_look_does_not_count(
    ingest_db,  # noqa: F811
    fake,
    tmp_path,
):
    time, store = FakeTime(), LocalMediaStore(tmp_path)
    await evolution_number(ingest_db)
    await customer_wrote(ingest_db, NUMBER, CUSTOMER, at=time.now)
    (tmp_path / "rotated").mkdir()
    (tmp_path / "rotated" / INSTANCE.api_key_secret).write_text("an-old-key")
    app = create_app(FakeEvolutionSettings(instance=INSTANCE.instance, number=NUMBER, api_key=API_KEY), state=fake)
    stale = EvolutionClient(EvolutionApiKeys(tmp_path / "rotated"), transport=httpx.ASGITransport(app))
    try:
        refused = await a_round(ingest_db, stale, store, time)
    finally:
        await stale.aclose()

    assert refused == {"failed": 1}
    assert await ingest_db.staged() == []
