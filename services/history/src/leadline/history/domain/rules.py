"""Which messages of a finished conversation the lead's timeline keeps.

A salesperson opens a timeline months later to remember what was said and shown:
the words, the photos and GIFs of the car, the voice notes, the documents
(proposals, CNH photos). Stickers, shared contacts and locations say nothing
about the sale and are never kept. The in-between kinds are a setting
(``HISTORY_KEEP_KINDS``), because dealers disagree about them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ALWAYS_KEPT: frozenset[str] = frozenset({"text", "image", "gif", "audio", "voice"})
"""Kept whatever the setting says: the conversation itself."""

NEVER_KEPT: frozenset[str] = frozenset({"sticker", "contacts", "location"})
"""Never kept, whatever the setting says."""

OPTIONAL_KINDS: frozenset[str] = frozenset(
    {"video", "document", "reaction", "interactive_reply", "button", "template", "unsupported"}
)
"""Kept only when ``HISTORY_KEEP_KINDS`` names them."""

DEFAULT_OPTIONAL_KEPT: frozenset[str] = frozenset({"video", "document", "interactive_reply", "button", "template"})
"""The default: videos and documents are part of the sale (test drives, proposals); a tapped button or a
template the dealership sent reads as text; a reaction is noise once the conversation is over and an
unsupported message has nothing a salesperson can read."""


@dataclass(frozen=True)
class KeepPolicy:
    """The kinds a timeline keeps. Invariant: all of ``ALWAYS_KEPT``, none of ``NEVER_KEPT``."""

    kept: frozenset[str]

    def keeps(self, kind: str) -> bool:
        return kind in self.kept


def keep_policy(optional_kinds: Iterable[str] = DEFAULT_OPTIONAL_KEPT) -> KeepPolicy:
    """The policy keeping ``ALWAYS_KEPT`` plus the optional kinds named; refuses the never-kept ones."""
    from .errors import KindNeverKept, UnknownKind

    wanted = frozenset(kind.strip() for kind in optional_kinds if kind.strip())
    never = wanted & NEVER_KEPT
    if never:
        raise KindNeverKept(f"the timeline never keeps {', '.join(sorted(never))}")
    unknown = wanted - OPTIONAL_KINDS - ALWAYS_KEPT
    if unknown:
        raise UnknownKind(
            f"unknown content kind(s): {', '.join(sorted(unknown))}; "
            f"optional kinds are {', '.join(sorted(OPTIONAL_KINDS))}"
        )
    return KeepPolicy(ALWAYS_KEPT | wanted)


def parse_keep_kinds(setting: str) -> KeepPolicy:
    """``HISTORY_KEEP_KINDS`` is a comma-separated list of optional kinds (``video,document``); empty keeps none."""
    return keep_policy(setting.split(","))
