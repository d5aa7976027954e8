"""What real service processes write to their logs: a customer's phone number and text never, unless unmasked.

A customer's WhatsApp message goes through the real ingest (signed webhook) and the real router (Kafka); both log
JSON lines to files. The router's log must show the conversation being opened (so the check is not vacuous) and
neither log may hold the number in any way it is written, nor the text. A second router with ``LOG_UNMASKED=true``
shows the number: the same check fails there, so it can fail.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import uuid
from pathlib import Path

from leadline.platform.embedded import free_port
from leadline.platform.migrations import upgrade_to_head
from tests.security.conftest import MIGRATIONS, eventually, start_service, stop
from tests.service_processes import wait_healthy

TEXT = "Meu CPF é 123.456.789-00, quero financiar o Onix"


def a_customer() -> tuple[str, list[str]]:
    """A mobile number with the ninth digit, and every way leadline or WhatsApp may write it."""
    area, subscriber = "11", f"9{random.randint(1000, 9999)}{random.randint(1000, 9999)}"
    wa_id = f"55{area}{subscriber}"
    return wa_id, [
        wa_id,
        f"+{wa_id}",
        f"+55 {area} {subscriber[:5]}-{subscriber[5:]}",
        f"({area}) {subscriber[:5]}-{subscriber[5:]}",
        f"{area}{subscriber}",
        subscriber,
        f"{subscriber[:5]}-{subscriber[5:]}",
        f"55{area}{subscriber[1:]}",
        subscriber[1:],  # without the ninth digit, as older WhatsApp ids are
    ]


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("{")]


def opened(path: Path, conversation_id: str) -> bool:
    return any(
        line.get("event") == "conversation opened" and line.get("conversation_id") == conversation_id
        for line in lines(path)
    )


async def test_a_customers_number_and_text_never_reach_the_logs_of_real_services(stack):
    a = stack.accounts["a"]
    wa_id, written = a_customer()
    conversation_id = await stack.customer_writes(a, wa_id, TEXT)
    await eventually(
        lambda: asyncio.sleep(0, opened(stack.logs["router"], conversation_id)),
        "the router logs the conversation it opened",
    )
    [line] = [
        line
        for line in lines(stack.logs["router"])
        if line.get("conversation_id") == conversation_id and line.get("event") == "conversation opened"
    ]
    assert re.fullmatch(r"[0-9a-f]{32}", line["trace_id"]) and re.fullmatch(r"[0-9a-f]{16}", line["span_id"]), (
        "a line written while handling an event names the event's trace (continued from ingest through Kafka)"
    )
    for service in ("ingest", "router"):
        log = stack.logs[service].read_text(encoding="utf-8")
        assert lines(stack.logs[service]), f"{service} logged JSON lines"
        leaks = [form for form in written if form in log]
        assert not leaks, f"{service}'s log holds the customer's number as {leaks}"
        assert TEXT not in log and "CPF" not in log and "Onix" not in log, f"{service}'s log holds the customer's text"


async def test_with_log_unmasked_the_same_number_does_reach_the_log(stack, infra):
    """Proves the check above can fail: it is the masking, not an absence of logging, that keeps the number out."""
    a = stack.accounts["a"]
    url = await infra.new_database("sec_router_unmasked")
    await asyncio.to_thread(upgrade_to_head, MIGRATIONS["router"], url)
    port, log_path = free_port(), stack.logs["router"].with_name(f"router-unmasked-{uuid.uuid4().hex[:6]}.log")
    process = start_service(
        "router",
        port=port,
        database_url=url,
        bootstrap_servers=stack.bootstrap_servers,
        log_path=log_path,
        LOG_UNMASKED="true",
    )
    try:
        await wait_healthy(port, timeout_s=60)
        wa_id, _ = a_customer()
        await stack.customer_writes(a, wa_id, TEXT)

        async def number_logged() -> bool:
            return wa_id in log_path.read_text(encoding="utf-8")

        await eventually(number_logged, "the unmasked router logs the customer's number", within_s=60)
    finally:
        stop({"router": process})
