"""What several handlers share: deciding again after a concurrent change, and a lead's temperature from its conversations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import TypeVar

from leadline.platform.optimistic import decide_again_on

from ..domain.activity import ConversationActivity, LeadActivity
from ..domain.errors import ConcurrentChange
from ..domain.events import ConversionPoint
from ..domain.lead import Lead
from ..domain.temperature import Assessment, TemperatureRules, assess
from .ports import ConversationRecord, UnitOfWork

T = TypeVar("T")


async def retrying(attempt: Callable[[], Awaitable[T]], *, attempts: int = 8) -> T:
    """Optimistic concurrency: on a concurrent change to a lead, load again and decide again."""
    return await decide_again_on(ConcurrentChange, attempt, attempts=attempts)


def activities(
    records: Iterable[ConversationRecord], *, known_points: Iterable[ConversionPoint] = ()
) -> list[ConversationActivity]:
    """Each conversation's activity; one we only know from its conversion point counts as one customer message."""
    found = {
        record.conversation_id: record.activity or ConversationActivity(record.conversation_id) for record in records
    }
    for point in known_points:
        current = found.get(point.conversation_id)
        if current is None or current.last_customer_message_at is None:
            found[point.conversation_id] = (current or ConversationActivity(point.conversation_id)).after_message(
                inbound=True, sent_at=point.at
            )
    return list(found.values())


async def reassess(work: UnitOfWork, lead: Lead, now: datetime, rules: TemperatureRules) -> Assessment:
    """Read the lead's conversations, let the thermometer decide, record a change if there is one.

    The lead's conversion points vouch for a customer message the router's topic may not have brought yet.
    """
    records = await work.conversations.of_lead(lead.id)
    points = lead.conversion_points.values()
    assessment = assess(LeadActivity.of(activities(records, known_points=points)), now, rules)
    lead.assess_temperature(assessment, at=now)
    return assessment
