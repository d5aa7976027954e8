"""Recovery of Add lead sagas left pending by a request that died half-way (a crash, a lost connection).

Every few seconds, each saga pending for longer than a request takes is settled against the router's
truth, read with the leads service's own token: claimed for this lead by this agent → the lead is
published; claimed by someone else → abandoned, naming them; still unclaimed → abandoned for want of an
answer (the same request may start it over, and a claim that lands later still completes it through the
router's ``claimed`` event, see ``service.router_events``). Router unreachable → tried again next round.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import structlog

from ..domain.saga import AbandonReason, SagaState, recovery_verdict
from ..domain.temperature import TemperatureRules
from .completion import abandon_saga, complete_saga, conversion_point
from .ports import Clock, RouterApi, RouterUnavailable, ServiceTokens, UowFactory

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Recovery:
    uow: UowFactory
    router: RouterApi
    tokens: ServiceTokens
    clock: Clock
    rules: TemperatureRules = TemperatureRules()
    stale_after: timedelta = timedelta(seconds=10)
    settled: Callable[[str], None] = lambda outcome: None
    """Told each saga's outcome (``completed``, ``abandoned``, ``waiting``): the metrics, at the edge."""


async def recover_stale_sagas(recovery: Recovery) -> dict[str, int]:
    """One round; returns how many sagas ended each way (``completed``, ``abandoned``, ``waiting``)."""
    async with recovery.uow() as work:
        stale = await work.sagas.stale(recovery.clock() - recovery.stale_after)
    outcomes = {"completed": 0, "abandoned": 0, "waiting": 0}
    for account_id, key in stale:
        async with recovery.uow() as work:
            saga = await work.sagas.get(account_id, key)
        if saga is None or saga.state is not SagaState.PENDING:
            continue
        token = recovery.tokens.for_account(account_id)
        try:
            conversation = await recovery.router.conversation(saga.conversation_id, token)
            verdict = recovery_verdict(
                saga,
                owner_id=conversation.owner_id if conversation else None,
                conversation_lead_id=conversation.lead_id if conversation else None,
            )
            if verdict is None:
                messages = await recovery.router.messages(saga.conversation_id, token)
                await complete_saga(
                    saga,
                    conversion_point(saga.conversation_id, conversation, messages),
                    uow=recovery.uow,
                    clock=recovery.clock,
                    rules=recovery.rules,
                )
                outcome = "completed"
            else:
                refusal = (
                    {"owner_id": conversation.owner_id, "owner_name": conversation.owner_name or ""}
                    if verdict is AbandonReason.LOST and conversation
                    else None
                )
                await abandon_saga(
                    saga,
                    verdict if conversation else AbandonReason.NOT_FOUND,
                    refusal,
                    uow=recovery.uow,
                    clock=recovery.clock,
                )
                outcome = "abandoned"
        except RouterUnavailable as error:
            log.warning("saga recovery waits for the router", lead_id=saga.lead_id, error=str(error))
            outcome = "waiting"
        outcomes[outcome] += 1
        recovery.settled(outcome)
        log.info("pending add lead settled by recovery", lead_id=saga.lead_id, outcome=outcome)
    return outcomes
