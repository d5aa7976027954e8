"""Rule: a message's delivery status never moves backwards (read does not become delivered).

Meta delivers status webhooks more than once and out of order; only a status that
ranks above the one already recorded is news. ``failed`` is final.
"""

from __future__ import annotations

STATUS_RANK: dict[str, int] = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


def status_moves_forward(current: str | None, new: str) -> bool:
    """True when ``new`` is later than ``current`` (or nothing was recorded yet)."""
    if new not in STATUS_RANK:
        return False
    return current is None or STATUS_RANK[new] > STATUS_RANK.get(current, 0)
