"""A message's media as an agent sees it: being fetched, stored, or not available — and when fetching again may work.

Media is carried as the contract's JSON shape (``content["media"]``: ``provider_media_id``, ``mime_type``,
``stored``, ``unavailable``); these rules only decide which state follows which.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LOADING, STORED, UNAVAILABLE = "loading", "stored", "unavailable"

Media = Mapping[str, Any]


def media_state(media: Media) -> str:
    """Stored once we hold a copy; not available when fetching failed for good; loading meanwhile."""
    if media.get("stored"):
        return STORED
    return UNAVAILABLE if media.get("unavailable") else LOADING


def with_stored_copy(media: Media, stored: Mapping[str, Any], mime_type: str) -> dict[str, Any] | None:
    """The media once our copy is stored; None when that copy is already known (a redelivery)."""
    if (media.get("stored") or {}).get("key") == stored.get("key"):
        return None
    return {**media, "mime_type": mime_type, "stored": dict(stored), "unavailable": None}


def with_fetch_failed(media: Media, *, reason: str, error_code: int | None, retryable: bool) -> dict[str, Any] | None:
    """The media after a fetch that failed for good; None when nothing changes.

    A stored copy is never hidden by a late failure (a retry that lost a race with a success).
    """
    if media.get("stored"):
        return None
    unavailable = {"reason": reason, "error_code": error_code, "retryable": retryable}
    if media.get("unavailable") == unavailable:
        return None
    return {**media, "unavailable": unavailable}


def media_fetch_may_be_retried(media: Media) -> bool:
    """Only a fetch that failed for a passing reason (WhatsApp down or slow), never an expired or deleted file."""
    unavailable = media.get("unavailable") or {}
    return bool(media.get("provider_media_id")) and not media.get("stored") and bool(unavailable.get("retryable"))


def fetching_again(media: Media) -> dict[str, Any]:
    """The media while an agent's retry is being fetched: loading again."""
    return {**media, "unavailable": None}
