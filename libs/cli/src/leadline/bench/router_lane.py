"""The router's CPU per inbound customer message, in-process: fetched batches through its batch consumer's lanes.

``python -m leadline.bench.router_lane [--messages N] [--customers C] [--profile]`` starts an embedded PostgreSQL
(no broker: the records are handed to the consumer as its subscriber would), opens a conversation for each customer,
then times ``process_time`` over batches of ``message.received`` records spread over those customers, as the router's
subscriber gets them (500 a fetch, keys in lanes). CPU, not wall time: the machine is shared; PostgreSQL's own work
runs in its process and is not counted. ``--profile`` leaves the process waiting for ``py-spy`` between phases.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event

from leadline.bench.infra import Record, migrated_database
from leadline.events import WHATSAPP_INBOUND, MessageReceivedV2, new_envelope
from leadline.events.common import WhatsAppUser
from leadline.events.content import TextContent
from leadline.phones import normalize_phone
from leadline.platform.batches import BatchDelivery
from leadline.platform.db import create_engine, session_factory
from leadline.platform.embedded import EmbeddedPostgres
from leadline.router.adapters.account_cache import AccountCache
from leadline.router.adapters.account_directory import SqlConfigurationUnitOfWork
from leadline.router.adapters.unit_of_work import SqlUnitOfWork
from leadline.router.domain.agents import AccountSettings, Agent, BusinessNumber, Role
from leadline.router.entrypoints.subscribers import router_consumer
from leadline.router.service.configuration import AccountConfiguration, AgentRecord, Team, apply_configuration

ACCOUNT, NUMBER = "lane-motors", "100000000000001"
FETCH = 500  # the router's subscriber takes up to 500 records a fetch


def _message(customer: int, offset: int) -> Record:
    payload = MessageReceivedV2(
        phone_number_id=NUMBER,
        customer=WhatsAppUser(wa_id=f"55119{customer:08d}"),
        wamid=f"wamid.{uuid.uuid4().hex}",
        display_phone_number="551140000001",
        customer_profile_name=f"Cliente {customer}",
        customer_display_name=f"Cliente {customer}",
        sent_at=datetime.now(UTC),
        content=TextContent(body="Olá, tem o Onix 2024?"),
    )
    envelope = new_envelope(
        payload, account_id=ACCOUNT, stream_id=payload.stream_id(ACCOUNT), sequence=1, occurred_at=datetime.now(UTC)
    )
    return Record(WHATSAPP_INBOUND, envelope.key, envelope.to_bytes(), 0, offset)


async def _configure(sessions) -> None:
    seller = Agent("ana", "Ana Souza", Role.SELLER, frozenset({"vendas"}))
    await apply_configuration(
        AccountConfiguration(
            account_id=ACCOUNT,
            settings=AccountSettings(process_type=1, lead_unification=True, pool_wait_alert_seconds=300),
            teams=(Team("vendas", "Vendas"),),
            numbers=(BusinessNumber(NUMBER, "551140000001", "Lane Motors", frozenset({"vendas"})),),
            agents=(AgentRecord(seller),),
        ),
        uow=lambda: SqlConfigurationUnitOfWork(sessions),
        clock=lambda: datetime.now(UTC),
    )


def _delivery(sessions, lanes: int) -> BatchDelivery:
    cache = AccountCache()
    consumer = router_consumer(
        sessions,
        unit_of_work=lambda: SqlUnitOfWork(sessions, account_cache=cache),
        clock=lambda: datetime.now(UTC),
        normalize=normalize_phone,
    )

    def no_dead_letters():
        raise AssertionError("a record failed in the benchmark")

    return BatchDelivery(consumer, no_dead_letters, group="router", lanes=lanes, attempts=1)


async def measure(
    url: str, *, messages: int, customers: int, lanes: int = 10, pause_s: float = 0, fetch: int = FETCH
) -> dict[str, float]:
    """CPU ms per message: opening each customer's conversation, then ``messages`` more into open conversations."""
    engine = create_engine(url, pool_size=lanes)
    statements = [0]

    def count(*_: object) -> None:
        statements[0] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    sessions = session_factory(engine)
    try:
        await _configure(sessions)
        delivery = _delivery(sessions, lanes)
        offsets = iter(range(10**9))
        opening = [_message(c, next(offsets)) for c in range(customers)]
        flowing = [_message(n % customers, next(offsets)) for n in range(messages)]
        if pause_s:
            print(f"attach py-spy now; timing starts in {pause_s:.0f} s", flush=True)
            await asyncio.sleep(pause_s)
        started = time.process_time()
        for at in range(0, len(opening), FETCH):
            await delivery.work_batch(opening[at : at + FETCH])
        opened, opened_statements = time.process_time(), statements[0]
        for at in range(0, len(flowing), fetch):
            await delivery.work_batch(flowing[at : at + fetch])
        done = time.process_time()
    finally:
        await engine.dispose()
    return {
        "opening_ms": (opened - started) * 1000 / customers,
        "message_ms": (done - opened) * 1000 / messages,
        "statements_per_message": (statements[0] - opened_statements) / messages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pause", type=float, default=0, help="seconds to wait before timing (attach py-spy)")
    parser.add_argument(
        "--fetch", type=int, default=FETCH, help="records per fetched batch (at 100 msg/s the whole stack's were ~20)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="router-lane-") as var:
        postgres = EmbeddedPostgres(Path(var) / "postgres").start()
        try:
            results = []
            for run in range(args.runs):
                url = asyncio.run(migrated_database(postgres.url, "router"))
                result = asyncio.run(
                    measure(url, messages=args.messages, customers=args.customers, pause_s=args.pause, fetch=args.fetch)
                )
                print(f"run {run + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in result.items()), flush=True)
                results.append(result)
            for key in results[0]:
                print(f"median {key}: {statistics.median(r[key] for r in results):.2f}")
        finally:
            postgres.stop()


if __name__ == "__main__":
    main()
