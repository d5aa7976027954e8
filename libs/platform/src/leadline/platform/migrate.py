"""``python -m leadline.platform.migrate <service> [--wait SECONDS]``: a service's migrations, without its app.

Kubernetes runs the upgrade once per release in a Job, and every server pod waits in an init container until its
database is at the head revision, so a consumer never handles an event against tables that do not exist yet.
Only ``DATABASE_URL`` is read: the Job needs no broker, no secrets and none of the service's other settings.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from .db import create_engine
from .migrations import alembic_config, upgrade_to_head
from .settings import ServiceSettings


def script_location(service: str) -> str:
    """Where a service keeps its Alembic scripts (every service: ``adapters/migrations``)."""
    return f"leadline.{service}:adapters/migrations"


def head_revisions(service: str, database_url: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(script_location(service), database_url)).get_heads())


async def current_revisions(database_url: str) -> set[str]:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_heads()))
    finally:
        await engine.dispose()


def wait_for_head(service: str, database_url: str, *, timeout_s: float, poll_s: float = 2.0) -> bool:
    """True once the database is at the head revision; False if it is not within ``timeout_s``."""
    heads = head_revisions(service, database_url)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if asyncio.run(current_revisions(database_url)) == heads:
                return True
        except OSError as error:  # the database not answering yet is a reason to wait, not to fail
            print(f"waiting for the {service} database: {error}", file=sys.stderr)
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll_s)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leadline.platform.migrate", description=__doc__.splitlines()[0])
    parser.add_argument("service", help="ingest, router, leads or history")
    parser.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="do not migrate: wait until another process (the Job) has brought the database to head",
    )
    args = parser.parse_args(argv)
    database_url = ServiceSettings().database_url
    if args.wait is None:
        upgrade_to_head(script_location(args.service), database_url)
        print(f"{args.service}: database at head")
        return 0
    if wait_for_head(args.service, database_url, timeout_s=args.wait):
        print(f"{args.service}: database at head")
        return 0
    print(f"{args.service}: database not at head after {args.wait:g}s; is the migration Job done?", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
