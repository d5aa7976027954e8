"""The state of a message's media reaches its timeline entry: stored, not available (and why), fetched again."""

from __future__ import annotations

import uuid

from leadline.events.content import ImageContent, MediaUnavailable, VoiceContent

from .conftest import media

EXPIRED = MediaUnavailable(
    reason="GraphApiError: HTTP 400, code 100: Object with ID '1' does not exist", error_code=100, retryable=False
)
DOWN = MediaUnavailable(
    reason="GraphApiError: HTTP 503, code 2: Service temporarily unavailable", error_code=2, retryable=True
)


async def finished_after_a_failed_fetch(feed, content, unavailable: MediaUnavailable):
    """A conversation whose one message's file could not be fetched, finished: (lead, message, customer)."""
    conversation_id, wa_id = feed.new_chat()
    lead_id = uuid.uuid4()
    await feed.open(conversation_id, wa_id, lead_id=lead_id)
    message = await feed.message(conversation_id, content)
    await feed.media_updated(message, unavailable=unavailable)
    await feed.finish(conversation_id)
    return lead_id, message, wa_id


async def test_a_file_not_available_before_the_finish_is_not_available_in_the_timeline_with_the_reason(history, feed):
    lead_id, _, _ = await finished_after_a_failed_fetch(
        feed, ImageContent(media=media("image/jpeg"), caption="Meu carro"), EXPIRED
    )

    rows = await history.wait_for(lambda rows: any(r.kind == "conversation_finished" for r in rows), lead_id=lead_id)
    [entry] = [r for r in rows if r.kind == "message"]
    assert entry.content["media"]["unavailable"] == EXPIRED.model_dump(mode="json")
    assert entry.content["media"]["stored"] is None and entry.media_key is None
    assert entry.content["caption"] == "Meu carro"


async def test_a_voice_note_fetched_again_after_the_finish_lands_on_its_entry_and_the_api_names_its_message(
    history, feed
):
    lead_id, voice, _ = await finished_after_a_failed_fetch(feed, VoiceContent(media=media("audio/ogg")), DOWN)
    await history.wait_for(lambda rows: any(r.kind == "conversation_finished" for r in rows), lead_id=lead_id)

    await feed.media_updated(voice)  # an agent asked for it again: loading
    loading = await history.wait_for(
        lambda rows: any(r.kind == "message" and not r.content["media"]["unavailable"] for r in rows), lead_id=lead_id
    )
    await feed.media_updated(voice, stored_as="voice.ogg")
    rows = await history.wait_for(lambda rows: any(r.media_key for r in rows), lead_id=lead_id)

    assert [r.content["media"]["stored"] for r in loading if r.kind == "message"] == [None]
    [entry] = [r for r in rows if r.kind == "message"]
    assert entry.media_key == "media/voice.ogg"
    assert (
        entry.content["media"]["stored"]["key"] == "media/voice.ogg" and entry.content["media"]["unavailable"] is None
    )
    async with history.client(feed.account_id) as client:
        timeline = (await client.get(f"/leads/{lead_id}/timeline")).json()["entries"]
    [shown] = [e for e in timeline if e["kind"] == "message"]
    assert shown["message_id"] == str(voice.message_id)
    assert shown["conversation_id"] == str(voice.conversation_id)
    assert {e["message_id"] for e in timeline if e["kind"] != "message"} == {None}


async def test_ingests_stored_copy_clears_a_failure_the_timeline_had_recorded(history, feed):
    lead_id, photo, wa_id = await finished_after_a_failed_fetch(feed, ImageContent(media=media("image/jpeg")), DOWN)
    await feed.media_stored(wa_id, photo.wamid, "later.jpg")

    rows = await history.wait_for(lambda rows: any(r.media_key for r in rows), lead_id=lead_id)
    [entry] = [r for r in rows if r.kind == "message"]
    assert entry.content["media"]["stored"]["key"] == "media/later.jpg"
    assert entry.content["media"]["unavailable"] is None
