"""Time-based cooling: leads whose temperature time alone may change are re-assessed when that time comes.

Each assessment stores its ``review_at`` (the next instant a threshold passes); this loop picks the leads
due and lets the thermometer decide again, emitting ``leads.lead.temperature_changed`` only on a change.
"""

from __future__ import annotations

import structlog

from ..domain.lead import ACTIVE
from ..domain.temperature import TemperatureRules
from .common import reassess, retrying
from .ports import Clock, UowFactory

log = structlog.get_logger(__name__)


async def reassess_due_leads(*, uow: UowFactory, clock: Clock, rules: TemperatureRules) -> int:
    """One round; returns how many leads changed temperature."""
    async with uow() as work:
        due = await work.leads.due_for_review(clock())
    changed = 0
    for lead_id in due:

        async def attempt(lead_id: str = lead_id) -> int:
            async with uow() as work:
                lead = await work.leads.get(lead_id)
                if lead is None or lead.status != ACTIVE:
                    return 0
                assessment = await reassess(work, lead, clock(), rules)
                work.leads.review_temperature(lead, assessment.review_at)
                await work.commit()
                return len(work.published)

        if await retrying(attempt):
            changed += 1
    if changed:
        log.info("lead temperatures re-assessed", changed=changed, due=len(due))
    return changed
