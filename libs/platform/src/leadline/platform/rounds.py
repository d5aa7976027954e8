"""Background work done in rounds: one round every so often, until the service stops, outliving a failed round.

``every`` is the one loop behind the service's periodic work (the router's pool-wait alerts, the leads service's
saga recovery and temperature cooling, ingest's template refresh, the outbox backlog gauge): the handler says
what one round does, this says when it runs again. A round that raises is logged and counted, and the next one
runs on time (a database or Meta hiccup must not end the loop); cancelling the task (``ServiceRuntime.stop``)
stops it between rounds or inside one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import NoReturn

import structlog
from prometheus_client import Counter, Histogram

log = structlog.get_logger(__name__)

ROUNDS = Counter("leadline_background_rounds_total", "Rounds of a background loop, by outcome", ["loop", "outcome"])
ROUND_SECONDS = Histogram("leadline_background_round_seconds", "How long a round of a background loop took", ["loop"])


async def every(interval_s: float, name: str, round_: Callable[[], Awaitable[object]]) -> NoReturn:
    """Run ``round_`` now and then ``interval_s`` after each round ends, until cancelled."""
    while True:
        started = time.perf_counter()
        try:
            await round_()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the loop outlives the round: the next one may find the database back
            ROUNDS.labels(name, "failed").inc()
            log.warning("background round failed", loop=name, error=str(error), error_type=type(error).__name__)
        else:
            ROUNDS.labels(name, "done").inc()
        ROUND_SECONDS.labels(name).observe(time.perf_counter() - started)
        await asyncio.sleep(interval_s)
