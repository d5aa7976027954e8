"""Optimistic concurrency for handlers: on a concurrent change, load again and decide again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def decide_again_on(conflict: type[Exception], attempt: Callable[[], Awaitable[T]], *, attempts: int = 8) -> T:
    """Run ``attempt`` (load, decide, save); when it raises ``conflict``, run it again, at most ``attempts`` times."""
    for remaining in range(attempts - 1, -1, -1):
        try:
            return await attempt()
        except conflict:
            if not remaining:
                raise
    raise AssertionError("unreachable")
