"""Clients an app holds for its whole life (HTTP clients of other services), closed once the app has stopped."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI


def close_on_stop(app: FastAPI, close: Callable[[], Any]) -> None:
    """Run ``close`` after the app's own lifespan (the runtime) has stopped, whatever stopped it."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        try:
            async with inner(application) as state:
                yield state
        finally:
            await close()

    app.router.lifespan_context = lifespan
