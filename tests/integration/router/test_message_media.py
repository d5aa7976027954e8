"""What the customer sent, as the router carries it: each message's media state, its file authorized like its
conversation (read through ingest's media API from S3 on moto), agents' files to send, and retries."""

from __future__ import annotations

import hashlib
import uuid

import httpx
import pytest

from leadline.events import WHATSAPP_INBOUND, MediaFetchFailedV2, MediaStoredV2, StoredMedia, WhatsAppUser, new_envelope
from leadline.events.content import DocumentContent, ImageContent, MediaRef, StickerContent, VoiceContent
from leadline.fakegraph.samples import SAMPLES
from leadline.ingest.domain.media_storage import media_key
from leadline.platform.tokens import mint_token
from tests.integration.router.conftest import JWT_SECRET, new_customer

PHOTO, VOICE, PDF = (SAMPLES[kind].read() for kind in ("image", "voice", "document"))


async def customer_sends(dealer, content, *, customer: str | None = None) -> tuple[str, str, str]:
    """The customer sends media; returns (conversation, message, wamid)."""
    wamid = f"wamid.{uuid.uuid4().hex}"
    published = await dealer.customer_writes(customer or new_customer(), wamid=wamid, content=content)
    appended = next(e for e in published if e.type == "router.conversation.message_appended")
    return appended.stream_id, appended.payload["message_id"], wamid


def media_of(kind_model, mime_type: str, **extra):
    return kind_model(media=MediaRef(provider_media_id=str(uuid.uuid4().int)[:15], mime_type=mime_type), **extra)


async def ingest_stored(dealer, wamid: str, data: bytes, mime_type: str, *, customer: str) -> StoredMedia:
    """What ingest does once it has the file: the copy in the store, then ``ingest.media.stored`` handled."""
    key, sha256 = media_key(data, mime_type)
    uri = await dealer.router.media_store.put(key, data, mime_type)
    stored = StoredMedia(key=key, uri=uri, size_bytes=len(data), sha256=sha256)
    await ingest_says(
        dealer,
        MediaStoredV2(
            phone_number_id=dealer.shared,
            customer=WhatsAppUser(wa_id=customer),
            wamid=wamid,
            provider_media_id="1",
            stored=stored,
            mime_type=mime_type,
        ),
    )
    return stored


async def ingest_says(dealer, payload) -> list:
    envelope = new_envelope(
        payload,
        account_id=dealer.account_id,
        stream_id=payload.stream_id(dealer.account_id),
        sequence=2,
        occurred_at=dealer.router.clock(),
    )
    return await dealer.router.deliver(WHATSAPP_INBOUND, envelope)


async def message(client, conversation_id: str, message_id: str) -> dict:
    items = (await client.get(f"/conversations/{conversation_id}/messages")).json()["items"]
    return next(m for m in items if m["message_id"] == message_id)


def failed(dealer, wamid: str, customer: str, *, retryable: bool, code: int | None):
    return MediaFetchFailedV2(
        phone_number_id=dealer.shared,
        customer=WhatsAppUser(wa_id=customer),
        wamid=wamid,
        provider_media_id="1",
        reason="GraphApiError: HTTP 503, code 2: Service temporarily unavailable"
        if retryable
        else "GraphApiError: HTTP 400, code 100: Object with ID '1' does not exist",
        error_code=code,
        attempts=5 if retryable else 1,
        retryable=retryable,
    )


async def test_a_customers_photo_is_loading_until_ingest_stores_it_then_its_message_carries_the_copy(dealer):
    customer = new_customer()
    conversation_id, message_id, wamid = await customer_sends(
        dealer, media_of(ImageContent, "image/jpeg", caption="Meu carro"), customer=customer
    )
    async with dealer.client("ana") as ana:
        loading = await message(ana, conversation_id, message_id)
        stored = await ingest_stored(dealer, wamid, PHOTO, "image/jpeg", customer=customer)
        shown = await message(ana, conversation_id, message_id)

    assert loading["content"]["media"]["stored"] is None and loading["content"]["media"]["unavailable"] is None
    assert shown["content"]["media"]["stored"] == stored.model_dump(mode="json")
    assert shown["content"]["caption"] == "Meu carro"
    [updated] = await dealer.outbox(conversation_id, "router.conversation.message_media_updated")
    assert updated["payload"]["media"]["stored"]["key"] == stored.key
    assert (
        await ingest_says(
            dealer,
            MediaStoredV2(
                phone_number_id=dealer.shared,
                customer=WhatsAppUser(wa_id=customer),
                wamid=wamid,
                provider_media_id="1",
                stored=stored,
                mime_type="image/jpeg",
            ),
        )
        == []
    ), "the same copy stored again changes nothing"


async def test_a_fetch_that_failed_for_a_passing_reason_says_why_and_an_agent_can_have_it_fetched_again(dealer):
    customer = new_customer()
    conversation_id, message_id, wamid = await customer_sends(
        dealer, media_of(VoiceContent, "audio/ogg; codecs=opus"), customer=customer
    )
    await ingest_says(dealer, failed(dealer, wamid, customer, retryable=True, code=2))
    async with dealer.client("bruno") as bruno:  # the pool's agents may see it, so may ask again
        unavailable = (await message(bruno, conversation_id, message_id))["content"]["media"]["unavailable"]
        retried = await bruno.post(f"/conversations/{conversation_id}/messages/{message_id}/media/retry")
        loading = (await message(bruno, conversation_id, message_id))["content"]["media"]
        again = await bruno.post(f"/conversations/{conversation_id}/messages/{message_id}/media/retry")
        await ingest_stored(dealer, wamid, VOICE, "audio/ogg; codecs=opus", customer=customer)
        stored = (await message(bruno, conversation_id, message_id))["content"]["media"]

    assert unavailable == {
        "reason": "GraphApiError: HTTP 503, code 2: Service temporarily unavailable",
        "error_code": 2,
        "retryable": True,
    }
    assert retried.status_code == 202
    assert loading["unavailable"] is None and loading["stored"] is None
    assert (again.status_code, again.json()["error"]["code"]) == (409, "media_not_retryable"), "it is being fetched"
    [request] = await dealer.outbox(conversation_id, "router.message.media_fetch_requested")
    assert request["payload"]["wamid"] == wamid
    assert request["payload"]["customer"]["wa_id"] == customer
    assert request["payload"]["agent"] == {"id": "bruno", "name": "Bruno Lima"}
    assert stored["stored"] is not None and stored["unavailable"] is None


async def test_a_file_whatsapp_no_longer_has_is_not_available_for_good(dealer):
    customer = new_customer()
    conversation_id, message_id, wamid = await customer_sends(
        dealer, media_of(ImageContent, "image/jpeg"), customer=customer
    )
    await ingest_says(dealer, failed(dealer, wamid, customer, retryable=False, code=100))
    async with dealer.client("ana") as ana:
        unavailable = (await message(ana, conversation_id, message_id))["content"]["media"]["unavailable"]
        retried = await ana.post(f"/conversations/{conversation_id}/messages/{message_id}/media/retry")
        text = await ana.post(f"/conversations/{conversation_id}/messages/{uuid.uuid4()}/media/retry")

    assert unavailable["retryable"] is False and unavailable["error_code"] == 100
    assert (retried.status_code, retried.json()["error"]["code"]) == (409, "media_not_retryable")
    assert text.status_code == 404
    assert await dealer.outbox(conversation_id, "router.message.media_fetch_requested") == []


def token_of(dealer, agent_id: str, *, account_id: str | None = None) -> str:
    agent = dealer.agents[agent_id]
    return mint_token(
        secret=JWT_SECRET,
        agent_id=agent.id,
        name=agent.name,
        role=str(agent.role),
        account_id=account_id or dealer.account_id,
        teams=sorted(agent.team_ids),
    )


async def test_a_messages_file_is_served_only_to_agents_who_may_see_its_conversation(router):
    dealer, other_dealer = await router.dealer(), await router.dealer()
    customer = new_customer()
    conversation_id, message_id, wamid = await customer_sends(
        dealer, media_of(ImageContent, "image/jpeg"), customer=customer
    )
    await ingest_stored(dealer, wamid, PHOTO, "image/jpeg", customer=customer)
    url = f"/conversations/{conversation_id}/messages/{message_id}/media"
    async with dealer.client("ana") as ana:
        in_the_pool = await ana.get(url)
        assert (await ana.post(f"/conversations/{conversation_id}/claim", json={})).status_code == 200
        owner = await ana.get(url)
    async with dealer.client("bruno") as bruno, dealer.client("elisa") as elisa, dealer.client("diego") as admin:
        same_team_not_owner, other_team, admins = await bruno.get(url), await elisa.get(url), await admin.get(url)
    async with other_dealer.client("ana") as ana_elsewhere:
        other_account = await ana_elsewhere.get(url)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=router.app), base_url="http://router") as browser:
        same_agent_id_other_account = await browser.get(
            url, params={"access_token": token_of(dealer, "ana", account_id=other_dealer.account_id)}
        )
        by_query_token = await browser.get(url, params={"access_token": token_of(dealer, "ana")})
        anonymous = await browser.get(url)

    assert in_the_pool.status_code == 200 and in_the_pool.content == PHOTO
    assert (owner.status_code, owner.content) == (200, PHOTO)
    assert owner.headers["content-type"] == "image/jpeg"
    assert owner.headers["content-disposition"].startswith("inline")
    assert owner.headers["x-content-type-options"] == "nosniff"
    assert admins.status_code == 200
    for refused in (same_team_not_owner, other_team, other_account, same_agent_id_other_account):
        assert refused.status_code == 404
        assert refused.json()["error"]["code"] == "not_found", (
            "the same answer as for a conversation that does not exist"
        )
    assert (by_query_token.status_code, by_query_token.content) == (200, PHOTO)
    assert anonymous.status_code == 401


async def test_a_voice_note_is_served_in_byte_ranges_so_a_player_can_read_its_length_and_seek(dealer):
    customer = new_customer()
    conversation_id, message_id, wamid = await customer_sends(
        dealer, media_of(VoiceContent, "audio/ogg; codecs=opus"), customer=customer
    )
    await ingest_stored(dealer, wamid, VOICE, "audio/ogg; codecs=opus", customer=customer)
    url = f"/conversations/{conversation_id}/messages/{message_id}/media"
    async with dealer.client("ana") as ana:
        whole = await ana.get(url)
        end = await ana.get(url, headers={"Range": "bytes=-200"})
        past = await ana.get(url, headers={"Range": f"bytes={len(VOICE) + 5}-"})

    assert (whole.status_code, whole.headers["accept-ranges"], whole.headers["content-length"]) == (
        200,
        "bytes",
        str(len(VOICE)),
    )
    assert whole.headers["content-type"] == "audio/ogg; codecs=opus"
    assert whole.headers["content-disposition"] == "inline; filename=\"voice.ogg\"; filename*=UTF-8''voice.ogg"
    assert (end.status_code, end.content) == (206, VOICE[-200:])
    assert end.headers["content-range"] == f"bytes {len(VOICE) - 200}-{len(VOICE) - 1}/{len(VOICE)}"
    assert past.status_code == 416


async def test_a_document_downloads_under_its_name_and_a_file_not_stored_yet_is_404(dealer):
    customer = new_customer()
    conversation_id, message_id, wamid = await customer_sends(
        dealer, media_of(DocumentContent, "application/pdf", filename="Proposta Onix – março.pdf"), customer=customer
    )
    _, sticker_id, _ = await customer_sends(dealer, media_of(StickerContent, "image/webp"), customer=customer)
    async with dealer.client("ana") as ana:
        not_yet = await ana.get(f"/conversations/{conversation_id}/messages/{message_id}/media")
        await ingest_stored(dealer, wamid, PDF, "application/pdf", customer=customer)
        document = await ana.get(f"/conversations/{conversation_id}/messages/{message_id}/media")
        sticker = await ana.get(f"/conversations/{conversation_id}/messages/{sticker_id}/media")

    assert (not_yet.status_code, not_yet.json()["error"]["code"]) == (404, "media_not_found")
    assert (document.status_code, document.content) == (200, PDF)
    assert document.headers["content-type"] == "application/pdf"
    assert document.headers["content-disposition"] == (
        "attachment; filename=\"Proposta Onix _ mar_o.pdf\"; filename*=UTF-8''Proposta%20Onix%20%E2%80%93%20mar%C3%A7o.pdf"
    )
    assert sticker.status_code == 404, "its file is not stored yet"


async def test_an_agents_image_goes_to_the_media_store_through_ingest_and_its_reply_shows_it(dealer):
    conversation_id = await dealer.open_conversation()
    png = bytes.fromhex("89504e470d0a1a0a") + b"an agent's photo of the car" * 20
    async with dealer.client("ana") as ana, dealer.client("elisa") as elisa:
        assert (await ana.post(f"/conversations/{conversation_id}/claim", json={})).status_code == 200
        kept = await ana.post(
            f"/conversations/{conversation_id}/media", content=png, headers={"Content-Type": "image/png"}
        )
        refused = await ana.post(
            f"/conversations/{conversation_id}/media", content=b"%PDF-", headers={"Content-Type": "application/pdf"}
        )
        not_hers = await elisa.post(
            f"/conversations/{conversation_id}/media", content=png, headers={"Content-Type": "image/png"}
        )
        reply = await ana.post(
            f"/conversations/{conversation_id}/messages",
            json={
                "idempotency_key": "photo-1",
                "content": {"kind": "image", "media": kept.json(), "caption": "Olha ele aqui"},
            },
        )
        message_id = reply.json()["message_id"]
        shown = await ana.get(f"/conversations/{conversation_id}/messages/{message_id}/media")

    assert kept.status_code == 201, kept.text
    assert kept.json()["stored"]["sha256"] == hashlib.sha256(png).hexdigest()
    assert kept.json()["stored"]["uri"].startswith(f"s3://{dealer.router.media_store.bucket}/router-tests/")
    assert await dealer.router.media_store.get(kept.json()["stored"]["key"]) == png
    assert (refused.status_code, refused.json()["error"]["code"]) == (415, "unsupported_media")
    assert not_hers.status_code == 404
    assert reply.status_code == 202
    assert (shown.status_code, shown.content, shown.headers["content-type"]) == (200, png, "image/png")


@pytest.mark.parametrize(
    "path", ["/conversations/{c}/messages/not-a-uuid/media", "/conversations/not-a-uuid/messages/{m}/media"]
)
async def test_a_malformed_id_is_404_like_a_missing_one(dealer, path):
    conversation_id, message_id, _ = await customer_sends(dealer, media_of(ImageContent, "image/jpeg"))
    async with dealer.client("ana") as ana:
        answer = await ana.get(path.format(c=conversation_id, m=message_id))
    assert answer.status_code == 404
