"""PostgreSQL wiring: async engines, per-service database URLs, readiness ping."""

from __future__ import annotations

import asyncpg
from sqlalchemy import event, exc, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def asyncpg_url(url: str | URL) -> URL:
    """Accept ``postgres://``, ``postgresql://`` or ``postgresql+asyncpg://``; return the asyncpg form.

    Unix-socket servers (the embedded one) are given as ``?host=/socket/dir``.
    """
    parsed = make_url(str(url).replace("postgres://", "postgresql://", 1))
    return parsed.set(drivername="postgresql+asyncpg")


def with_database(url: str | URL, database: str) -> str:
    """The same server, another database: how each service gets a database of its own."""
    return asyncpg_url(url).set(database=database).render_as_string(hide_password=False)


def create_engine(url: str | URL, *, pool_size: int = 10) -> AsyncEngine:
    """An engine of up to ``2 × pool_size`` connections, opened as needed and kept, handing out only open ones at no
    round trip per checkout.

    The connections a burst opened stay for the next one: with ``pool_size`` kept and as many again as overflow, the
    overflow ones were closed as each burst ended and opened again by the next, each time with a new backend and
    every statement prepared again (a hundred claims at once opened ten connections per burst).

    SQLAlchemy's ``pool_pre_ping`` would cost three round trips on every checkout (``BEGIN; ;ROLLBACK``): more
    than a claim's refusal itself. A connection the server closed (a restart, an idle timeout, a killed backend) is
    known to asyncpg as soon as the event loop reads the close, so the pool checks ``is_closed()`` instead and replaces
    such a connection; one that dies later fails its statement and SQLAlchemy invalidates the pool.
    """
    engine = create_async_engine(asyncpg_url(url), pool_size=2 * pool_size, max_overflow=0)
    event.listen(engine.sync_engine, "checkout", _replace_closed)
    return engine


def _replace_closed(dbapi_connection, _record, _proxy) -> None:
    if dbapi_connection.driver_connection.is_closed():
        raise exc.DisconnectionError("the server closed this connection")  # the pool connects anew


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


def _asyncpg_connect_kwargs(url: str | URL) -> dict[str, object]:
    parsed = asyncpg_url(url)
    kwargs: dict[str, object] = {
        "user": parsed.username,
        "password": parsed.password,
        "database": parsed.database,
        "host": parsed.query.get("host", parsed.host),
    }
    if parsed.port:
        kwargs["port"] = parsed.port
    return {k: v for k, v in kwargs.items() if v is not None}


async def connect_raw(url: str | URL) -> asyncpg.Connection:
    """A bare asyncpg connection (LISTEN/NOTIFY, admin statements)."""
    return await asyncpg.connect(**_asyncpg_connect_kwargs(url))


async def ensure_database(server_url: str | URL, database: str) -> None:
    """Create ``database`` on the server if it does not exist yet (idempotent)."""
    admin = await connect_raw(with_database(server_url, "postgres"))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
