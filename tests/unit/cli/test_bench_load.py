"""The bench's load sends webhooks as WhatsApp does: a 503 is sent again after its Retry-After, counted, and the
request's latency runs until the answer that ended it."""

from __future__ import annotations

import asyncio

from leadline.bench.load import closed_loop, open_loop


async def shedding_server(sheds: int) -> tuple[asyncio.Server, list[int]]:
    """A bare HTTP/1.1 server answering 503 (Retry-After: 0) to its first ``sheds`` requests, then 200."""
    answered: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                await reader.readexactly(length)
                status = 503 if len(answered) < sheds else 200
                answered.append(status)
                writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 2\r\nRetry-After: 0\r\n\r\n{{}}".encode())
                await writer.drain()
        except asyncio.IncompleteReadError:  # the client closed its connection
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, answered


def url_of(server: asyncio.Server) -> str:
    return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def test_an_open_loop_retries_what_was_shed_and_counts_every_503():
    server, answered = await shedding_server(sheds=3)
    async with server:
        result = await open_loop(url_of(server), lambda n: ("/webhooks/whatsapp", b"{}", {}), rate=100, seconds=0.05)
    assert (result.requests, result.errors, result.shed) == (5, 0, 3)
    assert answered.count(200) == 5 and answered.count(503) == 3


async def test_a_closed_loop_retries_what_was_shed_too():
    server, answered = await shedding_server(sheds=2)
    async with server:
        result = await closed_loop(url_of(server), lambda n: ("/webhooks/whatsapp", b"{}", {}), total=4, concurrency=2)
    assert (result.errors, result.shed, answered.count(200)) == (0, 2, 4)
