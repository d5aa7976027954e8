"""``python -m leadline.platform.migrate``: what the migration Jobs and the servers' init containers run."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.infrastructure import Infrastructure


def run_migrate(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    # A broker address nobody listens on: migrating must need the database only.
    env = {**os.environ, "DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    return subprocess.run(
        [sys.executable, "-m", "leadline.platform.migrate", *args], env=env, capture_output=True, text=True, timeout=120
    )


async def test_waiting_on_an_unmigrated_database_gives_up_after_the_timeout(infra: Infrastructure) -> None:
    database = await infra.new_database("migrate_wait")
    waited = run_migrate("router", "--wait", "1", database_url=database)
    assert waited.returncode == 1
    assert "not at head" in waited.stderr


async def test_the_job_brings_the_database_to_head_and_the_wait_then_passes_at_once(infra: Infrastructure) -> None:
    database = await infra.new_database("migrate_job")
    migrated = run_migrate("router", database_url=database)
    assert migrated.returncode == 0, migrated.stderr
    waited = run_migrate("router", "--wait", "0", database_url=database)
    assert waited.returncode == 0, waited.stderr
    again = run_migrate("router", database_url=database)  # a re-run Job changes nothing
    assert again.returncode == 0, again.stderr


async def test_every_service_migrates_with_the_command(infra: Infrastructure) -> None:
    for service in ("ingest", "leads", "history"):
        database = await infra.new_database(f"migrate_{service}")
        migrated = run_migrate(service, database_url=database)
        assert migrated.returncode == 0, f"{service}: {migrated.stderr}"
