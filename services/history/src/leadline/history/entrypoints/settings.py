"""Environment of the history service (shared names documented in README.md)."""

from __future__ import annotations

from pydantic import Field, field_validator

from leadline.platform.settings import ServiceSettings

from ..domain.rules import DEFAULT_OPTIONAL_KEPT, KeepPolicy, parse_keep_kinds


class HistorySettings(ServiceSettings):
    service_name: str = "history"
    http_port: int = 8004

    history_keep_kinds: str = Field(
        default=",".join(sorted(DEFAULT_OPTIONAL_KEPT)),
        description="Optional content kinds a timeline keeps, comma-separated, from video, document, reaction, "
        "interactive_reply, button, template, unsupported. Text, images, GIFs, audio and voice notes are "
        "always kept; stickers, contacts and locations never (naming them is an error).",
    )
    history_rebuild_batch_size: int = Field(default=5000, description="Events per transaction in a rebuild.")
    history_rebuild_workers: int = Field(
        default=2, ge=1, description="Processes sharing a rebuild's partitions (1: the rebuild runs in the caller)."
    )

    @field_validator("history_keep_kinds")
    @classmethod
    def _valid_kinds(cls, value: str) -> str:
        parse_keep_kinds(value)  # raises on never-kept or unknown kinds: a bad setting stops start-up
        return value

    @property
    def keep_policy(self) -> KeepPolicy:
        return parse_keep_kinds(self.history_keep_kinds)
