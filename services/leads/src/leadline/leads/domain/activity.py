"""How a customer and the dealership talk: each conversation's activity, and a lead's taken over all of them.

A conversation's activity is a fold of the router's conversation events (messages, finish, reopen);
the lead's is what its conversations add up to. Temperature rules read only ``LeadActivity``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

CUSTOMER, DEALER = "customer", "dealer"


@dataclass(frozen=True)
class ConversationActivity:
    """Invariant: ``waiting_since`` is set exactly when the customer wrote last and nobody answered yet."""

    conversation_id: str
    open: bool = True
    last_customer_message_at: datetime | None = None
    last_dealer_message_at: datetime | None = None
    waiting_since: datetime | None = None
    last_speaker: str | None = None
    exchanges: int = 0
    """Back-and-forth: how many times the turn passed between the customer and the dealership."""
    customer_messages: int = 0
    last_answer_delay: timedelta | None = None
    """How long the customer waited for the dealership's latest answer."""
    finished_at: datetime | None = None

    def after_message(self, *, inbound: bool, sent_at: datetime) -> ConversationActivity:
        speaker = CUSTOMER if inbound else DEALER
        turned = self.last_speaker is not None and self.last_speaker != speaker
        changes: dict[str, Any] = {"last_speaker": speaker, "exchanges": self.exchanges + (1 if turned else 0)}
        if inbound:
            changes.update(
                last_customer_message_at=_latest(self.last_customer_message_at, sent_at),
                customer_messages=self.customer_messages + 1,
                waiting_since=self.waiting_since or sent_at,
            )
        else:
            changes.update(last_dealer_message_at=_latest(self.last_dealer_message_at, sent_at), waiting_since=None)
            if self.waiting_since is not None:
                changes["last_answer_delay"] = max(sent_at - self.waiting_since, timedelta(0))
        return replace(self, **changes)

    def after_finished(self, at: datetime) -> ConversationActivity:
        """An agent closed the talk: nobody is waiting any more."""
        return replace(self, open=False, finished_at=at, waiting_since=None)

    def after_reopened(self) -> ConversationActivity:
        return replace(self, open=True, finished_at=None)


@dataclass(frozen=True)
class LeadActivity:
    last_customer_message_at: datetime | None
    waiting_since: datetime | None
    exchanges: int
    customer_messages: int
    has_open_conversation: bool
    finished_at: datetime | None
    """When the last conversation was finished, if none is open."""
    last_answer_delay: timedelta | None

    @classmethod
    def of(cls, conversations: Iterable[ConversationActivity]) -> LeadActivity:
        items = list(conversations)
        opened = [c for c in items if c.open]
        waiting = [c.waiting_since for c in opened if c.waiting_since is not None]
        answered = [
            (c.last_dealer_message_at, c)
            for c in items
            if c.last_answer_delay is not None and c.last_dealer_message_at is not None
        ]
        latest_answer = max(answered, key=lambda answer: answer[0], default=(None, None))[1]
        return cls(
            last_customer_message_at=max(
                (c.last_customer_message_at for c in items if c.last_customer_message_at), default=None
            ),
            waiting_since=min(waiting, default=None),
            exchanges=sum(c.exchanges for c in items),
            customer_messages=sum(c.customer_messages for c in items),
            has_open_conversation=bool(opened),
            finished_at=None if opened else max((c.finished_at for c in items if c.finished_at), default=None),
            last_answer_delay=latest_answer.last_answer_delay if latest_answer else None,
        )


def _latest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current
