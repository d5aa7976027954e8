"""The whole system as ``make run`` starts it (``leadline.cli.stack``), on free ports and a directory of its own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from leadline.cli.stack import DEFAULT_PORTS, SERVICES, Stack, StackConfig
from leadline.platform.embedded import free_port

MEASURED = (*SERVICES, "web", "kafka")  # the idle target: every service and the embedded broker
"""PostgreSQL and the fake Graph API are measured too, beside the target, not in it."""


@contextmanager
def running_stack(var_dir: Path, *, accounts: Path | None = None) -> Iterator[Stack]:
    """``make run``'s stack (same children, environment and defaults) until the block ends; ``accounts``: the
    router's accounts file instead of ``deploy/dev/accounts.yaml`` (the benchmark's agents and number)."""
    previous = os.environ.get("ROUTER_CONFIG_FILE")
    if accounts is not None:
        os.environ["ROUTER_CONFIG_FILE"] = str(accounts)  # read by the stack's children, as `make run` would
    ports = {name: free_port() for name in DEFAULT_PORTS}
    stack = Stack(StackConfig(var_dir=var_dir, kafka_port=free_port(), ports=ports), say=lambda *_: None)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        if previous is None:
            os.environ.pop("ROUTER_CONFIG_FILE", None)
        else:
            os.environ["ROUTER_CONFIG_FILE"] = previous


def databases(stack: Stack) -> dict[str, str]:
    from leadline.cli.stack import service_database

    return {service: service_database(stack.server_url, service) for service in SERVICES}
