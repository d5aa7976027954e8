"""Rule: each business number sends at most N messages per second (Meta's default is 80).

A token bucket per number; time is passed in so the rule is testable without sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SendThroughput:
    """Invariant: over any window of ``t`` seconds a number sends at most ``rate * t + burst`` messages."""

    rate_per_s: float = 80.0
    burst: float = 80.0
    _tokens: dict[str, float] = field(default_factory=dict)
    _stamp: dict[str, float] = field(default_factory=dict)

    def wait_before_send(self, phone_number_id: str, now: float) -> float:
        """Reserve one send for this number; returns how long to wait before sending it (0 = now)."""
        tokens = self._tokens.get(phone_number_id, self.burst)
        last = self._stamp.get(phone_number_id, now)
        tokens = min(self.burst, tokens + (now - last) * self.rate_per_s) - 1
        self._tokens[phone_number_id] = tokens
        self._stamp[phone_number_id] = now
        return 0.0 if tokens >= 0 else -tokens / self.rate_per_s
