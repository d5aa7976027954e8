"""Kafka subscriber: learn which account each business number belongs to from router integration events."""

from __future__ import annotations

from collections.abc import Callable

from leadline.events import REGISTRY, ROUTER_INTEGRATION, BusinessNumberRegisteredV1
from leadline.events.envelope import Envelope
from leadline.platform.runtime import ServiceRuntime

from ..domain.evolution_instances import EvolutionInstance
from ..service.inbound import remember_business_number
from ..service.ports import UnitOfWork

INTEGRATION_CONSUMER = "ingest-integration"


def register_integration_subscriber(runtime: ServiceRuntime, unit_of_work: Callable[[], UnitOfWork]) -> None:
    async def on_integration_event(envelope: Envelope) -> None:
        if envelope.type != BusinessNumberRegisteredV1.EVENT_TYPE:
            return
        number = REGISTRY.decode(envelope)
        evolution = number.evolution
        await remember_business_number(
            number.phone_number_id,
            envelope.account_id,
            uow=unit_of_work(),
            waba_id=number.waba_id,
            evolution=EvolutionInstance(evolution.base_url, evolution.instance, evolution.api_key_secret)
            if evolution
            else None,
        )

    runtime.subscribe([ROUTER_INTEGRATION], consumer=INTEGRATION_CONSUMER, handle=on_integration_event)
