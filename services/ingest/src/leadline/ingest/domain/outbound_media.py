"""Rule: the files an agent may send, as WhatsApp accepts them: the types and the size limit of each kind."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Sendable:
    mime_types: frozenset[str]
    max_bytes: int


SENDABLE: dict[str, Sendable] = {
    "image": Sendable(frozenset({"image/jpeg", "image/png"}), 5 * MB),
}
"""What the page lets an agent attach, per content kind (WhatsApp's limits for each)."""


def unsendable_type(kind: str, mime_type: str) -> str | None:
    """Why a file of this type cannot be sent as ``kind``; None when it can."""
    rule = SENDABLE.get(kind)
    if rule is None:
        return f"{kind} files cannot be sent from leadline"
    if mime_type not in rule.mime_types:
        return (
            f"only {' or '.join(sorted(t.split('/')[1].upper() for t in rule.mime_types))} files can be sent as {kind}"
        )
    return None


def too_large(kind: str, size_bytes: int) -> str | None:
    """Why a file this large cannot be sent as ``kind``; None when it can."""
    rule = SENDABLE.get(kind)
    if rule is not None and size_bytes > rule.max_bytes:
        return f"a file sent as {kind} may have at most {rule.max_bytes // MB} MB"
    return None
