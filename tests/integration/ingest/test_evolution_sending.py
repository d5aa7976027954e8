"""Sends and media of numbers connected through Evolution API, against the fake Evolution API and the real ingest
database: every sendable kind, once per request, retried, explained when refused, and media fetched from the instance."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import pytest

from leadline.events import (
    AudioContent,
    DocumentContent,
    ImageContent,
    LocationContent,
    MediaRef,
    MediaStoredV2,
    MessageSendFailedV1,
    MessageSentV1,
    StoredMedia,
    TextContent,
    VoiceContent,
)
from leadline.fakegraph.evolution.server import Failure, FakeEvolutionSettings, FakeEvolutionState, create_app
from leadline.fakegraph.samples import sample_for
from leadline.ingest.adapters.evolution.api_keys import EvolutionApiKeys
from leadline.ingest.adapters.evolution.client import EvolutionClient
from leadline.ingest.adapters.media_store import LocalMediaStore
from leadline.ingest.domain.evolution_instances import EvolutionInstance, evolution_wamid
from leadline.ingest.domain.media_storage import media_key
from leadline.ingest.domain.retry_policy import RetryPolicy
from leadline.ingest.domain.send_throughput import SendThroughput
from leadline.ingest.service.media_fetching import fetch_due_media
from leadline.ingest.service.ports import MediaToFetch
from leadline.ingest.service.sending import SendOutcome, send_message
from tests.integration.ingest.outbound_support import ACCOUNT, FakeTime, closed_port, half, send_request

NUMBER, INSTANCE, KEY, CUSTOMER = "5511934567890", "acme-usados", "s3cr3t-instance-key", "551187654321"
FAST_RETRY = RetryPolicy(attempts=3, base_delay_s=0.2, max_delay_s=2.0)


@dataclass
class Evolution:
    state: FakeEvolutionState
    client: EvolutionClient
    store: LocalMediaStore
    time: FakeTime


async def register(ingest_db, base_url: str) -> None:
    async with ingest_db.uow() as uow:
        await uow.numbers.register(NUMBER, ACCOUNT, None, EvolutionInstance(base_url, INSTANCE, INSTANCE))
        await uow.commit()


@pytest.fixture
async def evolution(ingest_db, tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / INSTANCE).write_text(KEY)
    state = FakeEvolutionState()
    settings = FakeEvolutionSettings(api_key=KEY, instance=INSTANCE, number=NUMBER, auto_statuses=False)
    app = create_app(settings, state=state)
    client = EvolutionClient(EvolutionApiKeys(keys), transport=httpx.ASGITransport(app))
    await register(ingest_db, "http://evolution.test")
    yield Evolution(state, client, LocalMediaStore(tmp_path / "media"), FakeTime())
    await client.aclose()


async def send(evolution: Evolution, ingest_db, content=None, **fields):
    request, envelope = send_request(content, to=CUSTOMER, phone_number_id=NUMBER, **fields)
    outcome = await send_message(
        request,
        envelope,
        ingest_db.uow,
        graph=None,  # an Evolution number never reaches the Graph API
        throughput=SendThroughput(),
        clock=evolution.time.clock,
        sleep=evolution.time.sleep,
        random=half,
        media_store=evolution.store,
        retry=FAST_RETRY,
        evolution=evolution.client,
    )
    return outcome, request


async def stored(evolution: Evolution, kind: str) -> MediaRef:
    sample = sample_for(kind)
    data = sample.read()
    key, sha256 = media_key(data, sample.mime_type)
    uri = await evolution.store.put(key, data, sample.mime_type)
    return MediaRef(
        mime_type=sample.mime_type.split(";")[0],
        stored=StoredMedia(key=key, uri=uri, size_bytes=len(data), sha256=sha256),
    )


async def test_a_text_goes_through_the_instance_with_the_agents_name_and_its_wamid_is_staged(evolution, ingest_db):
    outcome, request = await send(evolution, ingest_db)

    assert outcome is SendOutcome.SENT
    [sent] = evolution.state.sent
    assert sent["number"] == CUSTOMER and sent["message"] == {"conversation": request.body}
    assert request.body.startswith("*Ana Souza:*")
    [result] = await ingest_db.staged_payloads()
    assert isinstance(result, MessageSentV1) and result.wamid == evolution_wamid(NUMBER, sent["key_id"])


async def test_media_go_as_files_from_the_media_store_and_captions_carry_no_agent_name(evolution, ingest_db):
    image = ImageContent(media=await stored(evolution, "image"), caption="O Onix 2024")
    document = DocumentContent(media=await stored(evolution, "document"), filename="proposta.pdf")
    voice = VoiceContent(media=await stored(evolution, "voice"))
    audio = AudioContent(media=await stored(evolution, "audio"))

    outcomes = [(await send(evolution, ingest_db, content))[0] for content in (image, document, voice, audio)]

    assert outcomes == [SendOutcome.SENT] * 4
    image_sent, document_sent, voice_sent, audio_sent = (s["message"] for s in evolution.state.sent)
    assert image_sent["imageMessage"]["caption"] == "O Onix 2024"
    assert image_sent["imageMessage"]["fileLength"] == str(len(sample_for("image").read()))
    assert document_sent["documentMessage"]["fileName"] == "proposta.pdf"
    assert voice_sent["audioMessage"]["ptt"] and audio_sent["audioMessage"]["ptt"]  # sendWhatsAppAudio


async def test_the_same_request_twice_sends_once(evolution, ingest_db):
    request_id = uuid.uuid4()

    first, _ = await send(evolution, ingest_db, request_id=request_id)
    again, _ = await send(evolution, ingest_db, request_id=request_id)

    assert (first, again) == (SendOutcome.SENT, SendOutcome.DUPLICATE)
    assert len(evolution.state.sent) == 1 and len(await ingest_db.staged()) == 1


async def test_a_server_error_is_retried_with_backoff_until_it_passes(evolution, ingest_db):
    evolution.state.failure = Failure(500, "Internal Server Error", times=2)

    outcome, _ = await send(evolution, ingest_db)

    assert outcome is SendOutcome.SENT and len(evolution.state.sent) == 1
    assert len(evolution.time.slept) == 2


@pytest.mark.parametrize(
    ("setup", "title", "retryable"),
    [
        (lambda state: setattr(state, "connected", False), "Número desconectado (Number disconnected)", True),
        (lambda state: None, "Número sem WhatsApp (Not on WhatsApp)", False),
    ],
    ids=["instance disconnected", "customer not on WhatsApp"],
)
async def test_a_refusal_is_explained_to_the_agent_in_portuguese_and_english(
    evolution, ingest_db, setup, title, retryable
):
    setup(evolution.state)
    to = "5500987654321" if "sem WhatsApp" in title else CUSTOMER
    request, envelope = send_request(to=to, phone_number_id=NUMBER)

    outcome = await send_message(
        request,
        envelope,
        ingest_db.uow,
        None,
        SendThroughput(),
        evolution.time.clock,
        evolution.time.sleep,
        half,
        retry=FAST_RETRY,
        evolution=evolution.client,
    )

    assert outcome is SendOutcome.FAILED
    [failed] = await ingest_db.staged_payloads()
    assert isinstance(failed, MessageSendFailedV1)
    assert (failed.error_title, failed.retryable) == (title, retryable)
    assert " — " in failed.explanation  # pt-BR first, then English


async def test_a_server_that_is_down_is_retried_and_finally_explained(evolution, ingest_db):
    await register(ingest_db, f"http://127.0.0.1:{closed_port()}")
    real = EvolutionClient(evolution.client._api_keys)

    outcome, _ = await send(Evolution(evolution.state, real, evolution.store, evolution.time), ingest_db)
    await real.aclose()

    assert outcome is SendOutcome.FAILED
    assert len(evolution.time.slept) == FAST_RETRY.attempts - 1
    [failed] = await ingest_db.staged_payloads()
    assert failed.error_title == "Evolution API indisponível (Evolution API unavailable)" and failed.retryable


async def test_a_kind_evolution_cannot_send_is_refused_by_name(evolution, ingest_db):
    outcome, _ = await send(evolution, ingest_db, LocationContent(latitude=-23.5, longitude=-46.6))

    assert outcome is SendOutcome.FAILED and evolution.state.sent == []
    [failed] = await ingest_db.staged_payloads()
    assert "location" in failed.explanation and not failed.retryable


async def test_a_wrong_instance_key_is_refused_and_explained(evolution, ingest_db, tmp_path):
    (tmp_path / "keys" / INSTANCE).write_text("rotated-elsewhere")

    outcome, _ = await send(evolution, ingest_db, TextContent(body="oi"))

    assert outcome is SendOutcome.FAILED
    [failed] = await ingest_db.staged_payloads()
    assert failed.error_title == "Chave da instância recusada (Instance key refused)" and not failed.retryable


async def test_media_without_bytes_in_its_webhook_is_fetched_from_the_instance(evolution, ingest_db):
    sample = sample_for("voice")
    evolution.state.media["3EB0VOICE"] = (sample.read(), sample.mime_type)
    wamid = evolution_wamid(NUMBER, "3EB0VOICE")
    async with ingest_db.uow() as uow:
        media = MediaToFetch(wamid, ACCOUNT, NUMBER, CUSTOMER, "3EB0VOICE", "audio/ogg")
        await uow.media_jobs.schedule([media])
        await uow.commit()

    outcomes = await fetch_due_media(
        ingest_db.uow, None, evolution.store, evolution.time.clock, half, evolution=evolution.client
    )

    assert outcomes == {"stored": 1}
    [stored_event] = await ingest_db.staged_payloads()
    assert isinstance(stored_event, MediaStoredV2) and stored_event.wamid == wamid
    assert await evolution.store.get(stored_event.stored.key) == sample.read()


async def test_media_the_instance_cannot_find_is_retried_later(evolution, ingest_db):
    async with ingest_db.uow() as uow:
        media = MediaToFetch(evolution_wamid(NUMBER, "3EB0GONE"), ACCOUNT, NUMBER, CUSTOMER, "3EB0GONE", "image/jpeg")
        await uow.media_jobs.schedule([media])
        await uow.commit()

    first = await fetch_due_media(
        ingest_db.uow, None, evolution.store, evolution.time.clock, half, evolution=evolution.client
    )

    assert first == {"retry": 1} and await ingest_db.staged() == []
