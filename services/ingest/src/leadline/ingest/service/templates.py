"""Keeping each WhatsApp Business Account's approved templates: read from Meta on a schedule and on demand, served per
business number (the number's account owns them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog

from ..domain.templates import Template, template_from_graph
from .ports import Clock, UnitOfWork

log = structlog.get_logger(__name__)


class TemplateSource(Protocol):
    async def message_templates(self, waba_id: str) -> list[dict]: ...


class NumberWithoutBusinessAccount(Exception):
    """The number's WhatsApp Business Account was never configured: nowhere to read its templates from."""

    code = "no_business_account"


@dataclass(frozen=True)
class NumberTemplates:
    phone_number_id: str
    waba_id: str
    synced_at: datetime | None
    templates: list[Template]
    """Approved ones only: the ones WhatsApp will deliver."""


async def sync_templates(waba_id: str, *, graph: TemplateSource, uow: Callable[[], UnitOfWork], clock: Clock) -> int:
    """Read every template of the account from Meta and keep them (all statuses); how many there are."""
    listed = [template_from_graph(item) for item in await graph.message_templates(waba_id)]
    async with uow() as work:
        await work.templates.replace(waba_id, listed, clock())
        await work.commit()
    log.info("templates synced", waba_id=waba_id, templates=len(listed), approved=sum(t.usable for t in listed))
    return len(listed)


async def templates_of_number(
    phone_number_id: str, *, graph: TemplateSource, uow: Callable[[], UnitOfWork], clock: Clock, refresh: bool = False
) -> NumberTemplates:
    """The approved templates the number may send; read from Meta first when asked to or when never read."""
    async with uow() as work:
        waba_id = await work.numbers.waba_of(phone_number_id)
        if waba_id is None:
            raise NumberWithoutBusinessAccount(
                f"business number {phone_number_id} has no WhatsApp Business Account "
                "configured (waba_id in the account's configuration)"
            )
        templates, synced_at = await work.templates.of(waba_id)
    if refresh or synced_at is None:
        await sync_templates(waba_id, graph=graph, uow=uow, clock=clock)
        async with uow() as work:
            templates, synced_at = await work.templates.of(waba_id)
    return NumberTemplates(phone_number_id, waba_id, synced_at, [t for t in templates if t.usable])


async def refresh_all_templates(*, graph: TemplateSource, uow: Callable[[], UnitOfWork], clock: Clock) -> None:
    """One round (``ServiceRuntime.run_every``): every account's templates read again (Meta approves and pauses them)."""
    async with uow() as work:
        wabas = await work.numbers.wabas()
    for waba_id in wabas:
        try:
            await sync_templates(waba_id, graph=graph, uow=uow, clock=clock)
        except Exception as error:  # Meta down: the templates kept stay offered; the next round tries again
            log.warning("template sync failed", waba_id=waba_id, error=str(error))
