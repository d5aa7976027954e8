"""The ``leadline`` command run as an operator runs it: a real process, awaited without blocking the loop
(services under test keep running in-process meanwhile)."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

LEADLINE = str(Path(sys.executable).with_name("leadline"))


@dataclass(frozen=True)
class CommandResult:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


async def leadline(*args: str, env: dict[str, str] | None = None, timeout_s: float = 180.0) -> CommandResult:
    # no stack.json of a `make run` on this machine, nor the developer's settings: only what the test passes
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL"} and not key.endswith("_DATABASE_URL")
    }
    environment.update(
        {
            "COLUMNS": "200",
            "NO_COLOR": "1",
            "TERM": "dumb",
            "LEADLINE_VAR_DIR": str(Path(tempfile.gettempdir()) / "leadline-cli-tests"),
            **(env or {}),
        }
    )
    process = await asyncio.create_subprocess_exec(
        LEADLINE, *args, env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return CommandResult(process.returncode or 0, stdout.decode(), stderr.decode())
