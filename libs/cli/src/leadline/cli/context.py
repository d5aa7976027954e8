"""Where the ops commands find the broker and each service's database, and how they fail: one line, non-zero.

Order: the command's option, then the environment (``KAFKA_BOOTSTRAP_SERVERS``, ``<SERVICE>_DATABASE_URL`` or
``DATABASE_URL``), then ``var/stack.json`` that ``leadline run`` writes for the stack it started. How to reach a
secured cluster (TLS, SASL) comes from the environment, under the names the services read (``KafkaSettings``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from leadline.platform.settings import KafkaSettings

err = Console(stderr=True)
T = TypeVar("T")

STACK_FILE = "stack.json"
BOOTSTRAP_OPTION = typer.Option(
    None, "--bootstrap-servers", help="broker (default: KAFKA_BOOTSTRAP_SERVERS, or the `make run` stack)"
)


def stack_file() -> Path:
    return Path(os.environ.get("LEADLINE_VAR_DIR", "var")).absolute() / STACK_FILE


def _stack() -> dict[str, Any]:
    path = stack_file()
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def kafka(option: str | None = None) -> KafkaSettings:
    """The broker to reach (option, environment, stack) and how: ``KAFKA_SECURITY_PROTOCOL`` and the rest from the
    environment."""
    from pydantic import ValidationError

    from leadline.platform.settings import KafkaSettings

    found = option or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or _stack().get("bootstrap_servers")
    if not found:
        fail("no broker: set KAFKA_BOOTSTRAP_SERVERS (or --bootstrap-servers), or start the stack with `make run`")
    try:
        return KafkaSettings(kafka_bootstrap_servers=found)
    except ValidationError as error:
        problems = [
            f"{e['loc'][0].upper()}: {e['msg']}" if e["loc"] else e["msg"].removeprefix("Value error, ")
            for e in error.errors()
        ]
        fail(f"the Kafka settings are inconsistent: {'; '.join(problems)}", 2)


def database_url(service: str, option: str | None = None) -> str:
    found = (
        option
        or os.environ.get(f"{service.upper()}_DATABASE_URL")
        or os.environ.get("DATABASE_URL")
        or _stack().get("databases", {}).get(service)
    )
    if not found:
        fail(
            f"no database for {service}: set {service.upper()}_DATABASE_URL (or --database-url), "
            "or start the stack with `make run`"
        )
    return found


def quiet_libraries() -> None:
    """The clients' own log lines (connection retries) would bury the one line the operator needs."""
    logging.getLogger().addHandler(logging.NullHandler())
    for name in ("aiokafka", "kafka", "asyncio", "sqlalchemy"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def run(coroutine: Coroutine[Any, Any, T], *, doing: str, refusals: tuple[type[Exception], ...] = ()) -> T:
    """Run an ops coroutine; an unreachable broker or database, or a refusal, ends the command in one line.

    ``refusals``: exceptions the command answers itself (raised to it as they are).
    """
    quiet_libraries()
    try:
        return asyncio.run(coroutine)
    except (typer.Exit, *refusals):
        raise
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except Exception as error:  # noqa: BLE001 - the operator gets one line, never a traceback
        fail(f"{doing} failed: {describe(error)}")


def describe(error: BaseException) -> str:
    """One line an operator can act on."""
    from aiokafka.errors import KafkaConnectionError, KafkaError

    name = type(error).__name__
    if isinstance(error, KafkaConnectionError):
        return f"the broker is unreachable ({error})"
    if isinstance(error, KafkaError):
        return f"the broker refused: {name} {error}"
    if (
        isinstance(error, (ConnectionError, OSError))
        or "asyncpg" in type(error).__module__
        or name in {"OperationalError", "InterfaceError"}
    ):
        return f"the database or broker is unreachable or refused: {str(error).splitlines()[0] if str(error) else name}"
    text = str(error).splitlines()[0] if str(error) else name
    return text if isinstance(error, (ValueError, LookupError, RuntimeError)) else f"{name}: {text}"
