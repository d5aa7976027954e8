"""Following topics on every replica, without a consumer group, through broker outages.

The router's live feed and the account directory that leads and history fold both read whole topics on each replica
(each must see every event): a consumer is started, placed (``on_connected``), read (``consume``) until it fails, and
started again after a pause that doubles up to 5 s. ``on_lost`` says what a reader must do when its consumer went
away, whatever the reason. Its fetches are paced as every consumer's (``fetch_pacing``): quiet while the topics are.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Literal

import structlog
from aiokafka import AIOKafkaConsumer

from . import kafka_clients
from .fetch_pacing import FetchPacing, pace
from .settings import KafkaSettings

log = structlog.get_logger(__name__)

FIRST_PAUSE_S, LONGEST_PAUSE_S = 0.5, 5.0


async def follow_without_a_group(
    kafka: KafkaSettings,
    *,
    reader: str,
    start_at: Literal["earliest", "latest"],
    on_connected: Callable[[AIOKafkaConsumer], Awaitable[None]],
    consume: Callable[[AIOKafkaConsumer], Awaitable[None]],
    on_lost: Callable[[], None] = lambda: None,
) -> None:
    """Until cancelled: a groupless consumer named ``leadline-<reader>``, started again whenever it fails."""
    pause = FIRST_PAUSE_S
    pacing = FetchPacing.of(kafka)
    while True:
        consumer = kafka_clients.consumer(
            kafka,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset=start_at,
            fetch_max_wait_ms=pacing.busy_ms,
            client_id=f"leadline-{reader}",
        )
        try:
            await consumer.start()
            pace(consumer, pacing)
            await on_connected(consumer)
            pause = FIRST_PAUSE_S
            await consume(consumer)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the broker is unavailable: the reader resumes as its on_connected says
            log.warning("topic reading interrupted; starting again", reader=reader, error=str(error), retry_in_s=pause)
        finally:
            on_lost()
            with contextlib.suppress(Exception):
                await consumer.stop()
        await asyncio.sleep(pause)
        pause = min(pause * 2, LONGEST_PAUSE_S)
