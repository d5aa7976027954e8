"""How a webhook's sender retries one ingest shed (503): every driver that plays WhatsApp or Evolution API uses this.

Meta retries a webhook not answered 200 "with decreasing frequency" for up to 7 days; Evolution API (v2.2+,
``retryWebhookRequest``) retries anything but 400, 401, 403, 404 and 422 up to 10 times, 5 s doubling to 300 s with
±20 % jitter, and ignores ``Retry-After``. Our drivers wait what ``Retry-After`` asks, doubling with each refusal
of the same webhook up to ``LONGEST_WAIT_S``: an open loop retrying every second would pile its refusals on the
very service it overloads.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

SHED = 503
#: Without a usable Retry-After (absent, or an HTTP date).
DEFAULT_RETRY_AFTER_S = 1.0
LONGEST_WAIT_S = 30.0
#: Long enough for any benchmark or test run; a real sender keeps going far longer (Meta: 7 days).
GIVE_UP_AFTER_S = 300.0


def retry_after_s(value: str | bytes | None) -> float:
    """The seconds a ``Retry-After`` header asks for (its delay-seconds form)."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    try:
        return max(0.0, float(value)) if value is not None else DEFAULT_RETRY_AFTER_S
    except ValueError:
        return DEFAULT_RETRY_AFTER_S


def wait_before_retry_s(retry_after: str | bytes | None, refusals: int) -> float:
    """How long to wait after the ``refusals``-th 503 of one webhook: Retry-After, doubled for each earlier one."""
    asked = retry_after_s(retry_after)
    return max(asked, min(LONGEST_WAIT_S, asked * 2 ** (refusals - 1)))


async def post_until_taken(client: httpx.AsyncClient, url: str, **request: Any) -> httpx.Response:
    """POST until the answer is not a 503 (or ``GIVE_UP_AFTER_S`` passed): the answer that ended it."""
    give_up_at = time.monotonic() + GIVE_UP_AFTER_S
    refusals = 0
    while True:
        response = await client.post(url, **request)
        if response.status_code != SHED or time.monotonic() > give_up_at:
            return response
        refusals += 1
        await asyncio.sleep(wait_before_retry_s(response.headers.get("retry-after"), refusals))
