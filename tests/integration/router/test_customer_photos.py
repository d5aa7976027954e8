"""The customer's WhatsApp profile photo as the router keeps it (from ``ingest.contact.profile_photo_changed``) and
serves it to the page: on the customer, whichever number saw it; authorized like their conversation; the newest wins."""

from __future__ import annotations

import uuid
from datetime import timedelta

from leadline.events import WHATSAPP_INBOUND, ContactProfilePhotoChangedV2, StoredMedia, WhatsAppUser, new_envelope
from leadline.fakegraph.samples import SAMPLES
from leadline.ingest.domain.media_storage import media_key
from tests.integration.router.conftest import new_customer

PORTRAIT = SAMPLES["image"].read()


async def photo_changed(dealer, customer: str, data: bytes | None, *, number: str | None = None, ago_s: float = 0):
    """What ingest announces after reading the customer's photo (``data`` None: removed or hidden)."""
    stored = None
    if data is not None:
        key, sha256 = media_key(data, "image/jpeg")
        uri = await dealer.router.media_store.put(key, data, "image/jpeg")
        stored = StoredMedia(key=key, uri=uri, size_bytes=len(data), sha256=sha256)
    payload = ContactProfilePhotoChangedV2(
        phone_number_id=number or dealer.shared, customer=WhatsAppUser(wa_id=customer), photo=stored
    )
    envelope = new_envelope(
        payload,
        account_id=dealer.account_id,
        stream_id=payload.stream_id(dealer.account_id),
        sequence=1,
        occurred_at=dealer.router.clock() - timedelta(seconds=ago_s),
    )
    await dealer.router.deliver(WHATSAPP_INBOUND, envelope)
    return stored


async def conversation_of(dealer, customer: str) -> str:
    published = await dealer.customer_writes(customer, wamid=f"wamid.{uuid.uuid4().hex}")
    return next(e for e in published if e.type == "router.conversation.opened").stream_id


async def test_the_customers_photo_shows_in_their_rows_and_is_served_like_their_messages_files(dealer):
    customer = new_customer()
    conversation_id = await conversation_of(dealer, customer)
    stored = await photo_changed(dealer, customer, PORTRAIT)

    async with dealer.client("ana") as ana, dealer.client("elisa") as elisa:
        [row] = [
            r for r in (await ana.get("/conversations")).json()["items"] if r["conversation_id"] == conversation_id
        ]
        shown = await ana.get(f"/conversations/{conversation_id}")
        photo = await ana.get(f"/conversations/{conversation_id}/customer-photo")
        not_hers = await elisa.get(f"/conversations/{conversation_id}/customer-photo")

    assert row["customer_photo"] == stored.sha256 and shown.json()["customer_photo"] == stored.sha256
    assert (photo.status_code, photo.content, photo.headers["content-type"]) == (200, PORTRAIT, "image/jpeg")
    assert photo.headers["content-disposition"].startswith("inline")
    assert not_hers.status_code == 404, "another team's agent may not see the conversation, nor its customer's face"


async def test_a_customer_without_a_known_photo_keeps_initials_and_the_photo_route_says_404(dealer):
    conversation_id = await conversation_of(dealer, new_customer())

    async with dealer.client("ana") as ana:
        shown = await ana.get(f"/conversations/{conversation_id}")
        photo = await ana.get(f"/conversations/{conversation_id}/customer-photo")

    assert shown.json()["customer_photo"] is None
    assert (photo.status_code, photo.json()["error"]["code"]) == (404, "media_not_found")


async def test_a_removed_photo_goes_and_an_older_change_arriving_late_does_not_bring_it_back(dealer):
    customer = new_customer()
    conversation_id = await conversation_of(dealer, customer)
    await photo_changed(dealer, customer, PORTRAIT)
    await photo_changed(dealer, customer, None)
    await photo_changed(dealer, customer, PORTRAIT + b"older", ago_s=60)

    async with dealer.client("ana") as ana:
        shown = await ana.get(f"/conversations/{conversation_id}")
        photo = await ana.get(f"/conversations/{conversation_id}/customer-photo")

    assert shown.json()["customer_photo"] is None
    assert photo.status_code == 404


async def test_the_photo_belongs_to_the_customer_whichever_number_saw_it(dealer):
    customer = new_customer()
    conversation_id = await conversation_of(dealer, customer)
    stored = await photo_changed(dealer, customer, PORTRAIT, number=dealer.used_cars)

    async with dealer.client("ana") as ana:
        shown = await ana.get(f"/conversations/{conversation_id}")

    assert shown.json()["customer_photo"] == stored.sha256
