"""HTTP load for benchmarks: a closed loop for the top rate, an open loop for latency at a fixed rate.

The client is a minimal HTTP/1.1 keep-alive writer/reader over asyncio streams: a general
client (httpx) costs more CPU per request than the endpoints being measured, and on two
cores the load generator must not be what limits the figures.
"""

from __future__ import annotations

import asyncio
import errno
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

Request = tuple[str, bytes, dict[str, str]]  # path, body, headers


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
    failures: tuple[tuple[str, int], ...] = ()
    """The requests not answered 200, by what went wrong, most frequent first."""

    @classmethod
    def of(
        cls, requests: int, failures: Counter[str], seconds: float, latencies: list[float], started_at: float = 0.0
    ) -> LoadResult:
        return cls(
            requests, sum(failures.values()), seconds, tuple(latencies), started_at, tuple(failures.most_common())
        )

    @property
    def rate(self) -> float:
        return (self.requests - self.errors) / self.seconds

    @property
    def p50(self) -> float:
        return percentiles(self.latencies_ms)[0] if self.latencies_ms else float("nan")

    @property
    def p99(self) -> float:
        return percentiles(self.latencies_ms)[1] if self.latencies_ms else float("nan")


class Connection:
    """One keep-alive HTTP/1.1 connection; one request at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.answered = 0  # requests answered on the current socket: more than 0, the server may have closed it idle

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.answered = 0
        head = f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readuntil(b"\r\n")
        length = 0
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        self.answered += 1
        return int(status_line.split()[1])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def _one(connection: Connection, request: Request, latencies: list[float]) -> str | None:
    """None when answered 200; else what went wrong, in a few words (``LoadResult.failures`` counts them)."""
    path, body, headers = request
    started = time.perf_counter()
    failure = None
    try:
        try:
            status = await connection.post(path, body, headers)
        except asyncio.IncompleteReadError as error:
            # a kept-alive connection the server closed while it sat idle (uvicorn: after 5 s) answers nothing: as any
            # HTTP client (and WhatsApp) does, send again once on a new one; anything else is the server's failure
            if error.partial or not connection.answered:
                raise
            connection.close()
            status = await connection.post(path, body, headers)
        if status != 200:
            failure = f"HTTP {status}"
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as error:
        connection.close()
        failure = failure_kind(error)
    latencies.append((time.perf_counter() - started) * 1000)
    return failure


def failures_said(result: LoadResult) -> str:
    """How many requests failed and the three commonest kinds, e.g. ``25496 errors: OSError EMFILE 17997, …``."""
    if not result.errors:
        return "0 errors"
    return f"{result.errors} errors: " + ", ".join(f"{kind} {count}" for kind, count in result.failures[:3])


def failure_kind(error: BaseException) -> str:
    """``OSError`` by its errno name (EMFILE: the sender ran out of file descriptors), others by class."""
    number = getattr(error, "errno", None)
    return f"{type(error).__name__} {errno.errorcode.get(number, number)}" if number else type(error).__name__


def _address(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    return parts.hostname or "127.0.0.1", parts.port or 80


async def closed_loop(
    base_url: str, make_request: Callable[[int], Request], *, total: int, concurrency: int
) -> LoadResult:
    """``concurrency`` clients sending back to back: the highest sustained rate."""
    host, port = _address(base_url)
    latencies: list[float] = []
    counter = iter(range(total))
    failures: Counter[str] = Counter()

    async def worker() -> None:
        connection = Connection(host, port)
        for n in counter:
            if failure := await _one(connection, make_request(n), latencies):
                failures[failure] += 1
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return LoadResult.of(total, failures, time.perf_counter() - started, latencies)


async def open_loop(
    base_url: str, make_request: Callable[[int], Request], *, rate: float, seconds: float
) -> LoadResult:
    """Requests started on a fixed schedule whatever the answers (free connections reused, new ones opened as needed)."""
    host, port = _address(base_url)
    latencies: list[float] = []
    idle: list[Connection] = []
    requests = [make_request(n) for n in range(int(rate * seconds))]  # built before the clock starts

    async def send(request: Request) -> str | None:
        connection = idle.pop() if idle else Connection(host, port)
        failure = await _one(connection, request, latencies)
        idle.append(connection)
        return failure

    started, started_at = time.perf_counter(), time.time()
    tasks = []
    for n, request in enumerate(requests):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(request)))
    results = await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    for connection in idle:
        connection.close()
    return LoadResult.of(len(requests), Counter(r for r in results if r), elapsed, latencies, started_at)
