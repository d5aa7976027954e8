"""Alembic, one migration history per service, each on the service's own database."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from .db import asyncpg_url, create_engine


def alembic_config(script_location: str, database_url: str) -> Config:
    """``script_location`` is a package path, e.g. ``leadline.router:adapters/migrations``."""
    config = Config()
    config.set_main_option("script_location", script_location)
    config.set_main_option(
        "sqlalchemy.url", asyncpg_url(database_url).render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


_ONE_AT_A_TIME = threading.Lock()


def upgrade_to_head(script_location: str, database_url: str) -> None:
    """Apply every pending migration (synchronous; call from a thread inside an event loop).

    Alembic's migration context is process-global: two upgrades in two threads at once crash the
    interpreter, so upgrades in one process take turns.
    """
    with _ONE_AT_A_TIME:
        command.upgrade(alembic_config(script_location, database_url), "head")


def run_env(target_metadata: MetaData | Sequence[MetaData]) -> None:
    """The body of every service's ``env.py``: run migrations online over asyncpg."""
    url = context.config.get_main_option("sqlalchemy.url")

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_engine(url, pool_size=1)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())
