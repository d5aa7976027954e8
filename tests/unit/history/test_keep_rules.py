"""Which message kinds a lead's timeline keeps, and what a finished conversation adds (pure domain)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from leadline.events.content import Content, kinds_of
from leadline.history.domain.errors import KindNeverKept, UnknownKind
from leadline.history.domain.rules import ALWAYS_KEPT, NEVER_KEPT, keep_policy, parse_keep_kinds
from leadline.history.domain.timeline import (
    StagedMessage,
    entries_of_finished_conversation,
    entry_id_for,
    message_source,
)

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_the_rules_name_every_content_kind_the_contract_has():
    from leadline.history.domain.rules import OPTIONAL_KINDS

    assert ALWAYS_KEPT | NEVER_KEPT | OPTIONAL_KINDS == set(kinds_of(Content))


def test_by_default_video_documents_and_replies_are_kept_but_reactions_and_unsupported_are_not():
    policy = keep_policy()
    for kind in (
        "text",
        "image",
        "gif",
        "audio",
        "voice",
        "video",
        "document",
        "interactive_reply",
        "button",
        "template",
    ):
        assert policy.keeps(kind), kind
    for kind in ("sticker", "contacts", "location", "reaction", "unsupported"):
        assert not policy.keeps(kind), kind


def test_a_setting_can_keep_reactions_and_drop_videos_but_never_drops_texts():
    policy = parse_keep_kinds("reaction, document")
    assert policy.keeps("reaction") and policy.keeps("document") and policy.keeps("text") and policy.keeps("voice")
    assert not policy.keeps("video")


def test_an_empty_setting_keeps_only_the_conversation_itself():
    assert parse_keep_kinds("").kept == ALWAYS_KEPT


@pytest.mark.parametrize("kind", sorted(NEVER_KEPT))
def test_a_setting_asking_to_keep_stickers_contacts_or_locations_is_refused(kind):
    with pytest.raises(KindNeverKept):
        parse_keep_kinds(f"video,{kind}")


def test_a_setting_naming_an_unknown_kind_is_refused():
    with pytest.raises(UnknownKind):
        parse_keep_kinds("video,hologram")


def _message(kind: str, minutes: int, *, wamid: str | None = None, content: dict | None = None) -> StagedMessage:
    return StagedMessage(
        message_id=uuid.uuid4(),
        conversation_id=uuid.uuid4(),
        kind=kind,
        direction="inbound",
        origin="customer",
        sent_at=T0 + timedelta(minutes=minutes),
        content=content or {"kind": kind},
        source_event_id=uuid.uuid4(),
        wamid=wamid,
    )


def test_a_finished_conversation_adds_its_kept_messages_oldest_first():
    staged = [_message("text", 3), _message("sticker", 1), _message("image", 2), _message("location", 0)]
    entries = entries_of_finished_conversation(staged, keep_policy(), account_id="a", lead_id=None, stored_by_wamid={})
    assert [e.kind for e in entries] == ["message", "message"]
    assert [e.at for e in entries] == [T0 + timedelta(minutes=2), T0 + timedelta(minutes=3)]


def test_media_stored_later_is_referenced_by_our_copy():
    stored = {"key": "media/abc", "uri": "s3://media/abc", "size_bytes": 10, "sha256": "0" * 64}
    message = _message(
        "voice",
        0,
        wamid="wamid.X",
        content={"kind": "voice", "media": {"provider_media_id": "9", "mime_type": "audio/ogg"}},
    )
    [entry] = entries_of_finished_conversation(
        [message], keep_policy(), account_id="a", lead_id=None, stored_by_wamid={"wamid.X": stored}
    )
    assert entry.media_key == "media/abc" and entry.content["media"]["stored"] == stored


def test_an_entry_id_is_the_same_every_time_its_source_is_recorded():
    message_id = uuid.uuid4()
    assert entry_id_for(message_source(message_id)) == entry_id_for(message_source(message_id))
    assert entry_id_for(message_source(message_id)) != entry_id_for(message_source(uuid.uuid4()))
