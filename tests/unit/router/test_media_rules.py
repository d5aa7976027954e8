"""A message's media states, as the router's domain decides them (pure: dicts in the contract's shape)."""

from __future__ import annotations

from leadline.router.domain.media import (
    LOADING,
    STORED,
    UNAVAILABLE,
    fetching_again,
    media_fetch_may_be_retried,
    media_state,
    with_fetch_failed,
    with_stored_copy,
)

FETCHING = {
    "provider_media_id": "1483920675341201",
    "mime_type": "audio/ogg",
    "sha256": None,
    "stored": None,
    "unavailable": None,
}
COPY = {"key": "ab/cd/abcd.ogg", "uri": "file:///media/ab/cd/abcd.ogg", "size_bytes": 5994, "sha256": "ab" * 32}


def failed(retryable: bool) -> dict:
    return with_fetch_failed(
        FETCHING, reason="WhatsApp said no", error_code=2 if retryable else 100, retryable=retryable
    )


def test_media_is_loading_until_it_is_stored_or_known_to_be_unavailable():
    assert media_state(FETCHING) == LOADING
    assert media_state(with_stored_copy(FETCHING, COPY, "audio/ogg; codecs=opus")) == STORED
    assert media_state(failed(retryable=False)) == UNAVAILABLE


def test_the_stored_copy_carries_the_type_ingest_found_and_a_second_report_of_it_changes_nothing():
    stored = with_stored_copy(FETCHING, COPY, "audio/ogg; codecs=opus")

    assert stored["mime_type"] == "audio/ogg; codecs=opus" and stored["stored"] == COPY
    assert with_stored_copy(stored, COPY, "audio/ogg; codecs=opus") is None


def test_a_late_failure_never_hides_a_stored_copy_and_the_same_failure_twice_changes_nothing():
    stored = with_stored_copy(FETCHING, COPY, "audio/ogg")

    assert with_fetch_failed(stored, reason="late", error_code=2, retryable=True) is None
    assert with_fetch_failed(failed(True), reason="WhatsApp said no", error_code=2, retryable=True) is None


def test_a_retry_is_offered_only_for_a_passing_failure_and_makes_it_loading_again():
    assert media_fetch_may_be_retried(failed(retryable=True))
    assert not media_fetch_may_be_retried(failed(retryable=False)), "an expired file stays gone"
    assert not media_fetch_may_be_retried(FETCHING), "it is being fetched already"
    assert not media_fetch_may_be_retried(with_stored_copy(FETCHING, COPY, "audio/ogg"))
    assert media_state(fetching_again(failed(retryable=True))) == LOADING


def test_a_stored_copy_after_a_failure_clears_it():
    assert with_stored_copy(failed(retryable=True), COPY, "audio/ogg")["unavailable"] is None
