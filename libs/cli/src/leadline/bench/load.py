"""HTTP load for benchmarks: a closed loop for the top rate, an open loop for latency at a fixed rate.

The client is a minimal HTTP/1.1 keep-alive writer/reader over asyncio streams: a general
client (httpx) costs more CPU per request than the endpoints being measured, and on two
cores the load generator must not be what limits the figures.

Requests are sent as WhatsApp sends webhooks: one ingest sheds (503) is sent again after its ``Retry-After``
(``leadline.fakegraph.retries``), its connection given back meanwhile; every 503 is counted, and a request's latency
runs until the answer that ended it, so a shed request's wait shows in the figures.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

from leadline.fakegraph.retries import GIVE_UP_AFTER_S, SHED, wait_before_retry_s
from leadline.platform.serve import CLIENT_KEEP_ALIVE_S

Request = tuple[str, bytes, dict[str, str]]  # path, body, headers
#: How long a sender waits for an answer (Evolution API's default webhook timeout; Meta's is not published).
TRY_TIMEOUT_S = 30.0


def percentiles(latencies: Sequence[float]) -> tuple[float, float]:
    """p50 and p99 (nearest rank) of some latencies; at least one."""
    ordered = sorted(latencies)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: tuple[float, ...]
    started_at: float = 0.0
    """Wall-clock time (``time.time()``) the schedule started: request ``n`` of an open loop was due ``n / rate`` later."""
    shed: int = 0
    """503 answers seen (each followed by a retry after Retry-After)."""
    tries_ms: tuple[float, ...] = ()
    """Each try's own round trip (a new connection's connect included), 503s included."""
    connections: int = 0
    """Connections opened: one per request the server had not yet answered when it was due."""
    slip_ms: float = 0.0
    """How late the open loop started its latest-started request: the load generator itself falling behind."""
    timeouts: int = 0
    """Tries unanswered within ``TRY_TIMEOUT_S``, sent again."""

    @property
    def rate(self) -> float:
        return (self.requests - self.errors) / self.seconds

    @property
    def p50(self) -> float:
        return percentiles(self.latencies_ms)[0] if self.latencies_ms else float("nan")

    @property
    def p99(self) -> float:
        return percentiles(self.latencies_ms)[1] if self.latencies_ms else float("nan")


class Answer(NamedTuple):
    status: int
    retry_after: bytes | None


class Connection:
    """One keep-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used_at = time.monotonic()

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        return (await self.answer(path, body, headers)).status

    async def answer(self, path: str, body: bytes, headers: dict[str, str]) -> Answer:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readuntil(b"\r\n")
        length, retry_after = 0, None
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"retry-after":
                retry_after = value.strip()
        await self.reader.readexactly(length)
        self.used_at = time.monotonic()
        return Answer(int(status_line.split()[1]), retry_after)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class Pool:
    """Keep-alive connections to one server, each given back between tries; one idle longer than the server keeps
    it (``CLIENT_KEEP_ALIVE_S``: a shed request's wait can be far longer) is closed instead of reused."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[Connection] = []
        self.shed = 0
        self.tries_ms: list[float] = []
        self.opened = 0
        self.timeouts = 0

    def take(self) -> Connection:
        while self.idle:
            connection = self.idle.pop()
            if time.monotonic() - connection.used_at < CLIENT_KEEP_ALIVE_S:
                return connection
            connection.close()
        self.opened += 1
        return Connection(self.host, self.port)

    async def deliver(self, request: Request) -> bool:
        """Post until taken, as WhatsApp does: a 503 is sent again after its Retry-After (doubling per refusal), and so
        is a try unanswered within ``TRY_TIMEOUT_S`` (a connection whose handshake an overloaded server dropped
        would otherwise wait for TCP to give up, many minutes)."""
        path, body, headers = request
        give_up_at, refusals = time.monotonic() + GIVE_UP_AFTER_S, 0
        while True:
            connection, started = self.take(), time.perf_counter()
            try:
                answer = await asyncio.wait_for(connection.answer(path, body, headers), TRY_TIMEOUT_S)
            except TimeoutError:
                connection.close()
                self.timeouts += 1
                answer = Answer(SHED, None)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                connection.close()
                return False
            else:
                self.idle.append(connection)
                self.shed += answer.status == SHED
            self.tries_ms.append((time.perf_counter() - started) * 1000)
            if answer.status != SHED or time.monotonic() > give_up_at:
                return answer.status == 200
            refusals += 1
            await asyncio.sleep(wait_before_retry_s(answer.retry_after, refusals))

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


def _address(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    return parts.hostname or "127.0.0.1", parts.port or 80


async def closed_loop(
    base_url: str, make_request: Callable[[int], Request], *, total: int, concurrency: int
) -> LoadResult:
    """``concurrency`` clients sending back to back: the highest sustained rate."""
    pool = Pool(*_address(base_url))
    latencies: list[float] = []
    counter = iter(range(total))
    errors = 0

    async def worker() -> None:
        nonlocal errors
        for n in counter:
            started = time.perf_counter()
            errors += not await pool.deliver(make_request(n))
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    pool.close()
    return LoadResult(
        total, errors, time.perf_counter() - started, tuple(latencies), shed=pool.shed, tries_ms=tuple(pool.tries_ms)
    )


async def open_loop(
    base_url: str, make_request: Callable[[int], Request], *, rate: float, seconds: float
) -> LoadResult:
    """Requests started on a fixed schedule whatever the answers (free connections reused, new ones opened as needed);
    each one's latency from the moment the schedule said to send it (no coordinated omission)."""
    pool = Pool(*_address(base_url))
    latencies: list[float] = []
    requests = [make_request(n) for n in range(int(rate * seconds))]  # built before the clock starts

    async def send(request: Request, due: float) -> bool:
        ok = await pool.deliver(request)
        latencies.append((time.perf_counter() - due) * 1000)
        return ok

    started, started_at = time.perf_counter(), time.time()
    tasks, slip = [], 0.0
    for n, request in enumerate(requests):
        due = started + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        slip = max(slip, -delay)
        tasks.append(asyncio.create_task(send(request, due)))
    results = await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    pool.close()
    return LoadResult(
        len(requests),
        results.count(False),
        elapsed,
        tuple(latencies),
        started_at,
        shed=pool.shed,
        tries_ms=tuple(pool.tries_ms),
        connections=pool.opened,
        slip_ms=slip * 1000,
        timeouts=pool.timeouts,
    )
