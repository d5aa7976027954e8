"""What the history domain refuses, in domain words."""

from __future__ import annotations


class HistoryError(Exception):
    code = "history_error"


class KindNeverKept(HistoryError):
    """A setting asked to keep a content kind the timeline never holds (stickers, contacts, locations)."""

    code = "kind_never_kept"


class UnknownKind(HistoryError):
    """A setting named a content kind that does not exist."""

    code = "unknown_kind"
