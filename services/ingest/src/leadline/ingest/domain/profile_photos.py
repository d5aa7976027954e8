"""Rule: a contact's profile photo is refreshed at most once every 7 days (configurable)."""

from __future__ import annotations

from datetime import datetime, timedelta

DEFAULT_REFRESH_EVERY = timedelta(days=7)


def photo_refresh_due(
    last_checked_at: datetime | None, now: datetime, every: timedelta = DEFAULT_REFRESH_EVERY
) -> bool:
    return last_checked_at is None or now - last_checked_at >= every


def photo_changed(previous_sha256: str | None, current_sha256: str | None) -> bool:
    return previous_sha256 != current_sha256
