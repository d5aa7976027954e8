"""Rule: transient failures (429, 5xx, network) are retried with exponential backoff and full jitter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay_s: float = 0.2
    max_delay_s: float = 10.0

    def delay_before(self, attempt: int, random: Callable[[], float]) -> float:
        """Delay before try number ``attempt`` (2, 3, …): uniform in [0, min(max, base * 2^(attempt-2))]."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0 ** max(0, attempt - 2))
        return ceiling * random()

    def gives_up_after(self, attempt: int) -> bool:
        return attempt >= self.attempts


def is_transient_http_status(status: int) -> bool:
    return status == 429 or status >= 500
