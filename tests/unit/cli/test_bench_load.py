"""The bench's open loop sends a request again when a kept-alive connection the server closed while idle answers
nothing (as every HTTP client does); a server that fails a request still counts as an error."""

from __future__ import annotations

import asyncio

from leadline.bench.load import failures_said, open_loop

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def serve(answers_per_connection: int | None):
    """A server that answers ``answers_per_connection`` requests per connection, then closes it (None: never answers)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        answered = 0
        while answers_per_connection is None or answered < answers_per_connection:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
            )
            await reader.readexactly(length)
            if answers_per_connection is None:
                break
            writer.write(ANSWER)
            await writer.drain()
            answered += 1
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


def request(n: int):
    return "/webhooks/whatsapp", b"{}", {"Content-Type": "application/json"}


async def test_a_connection_the_server_closed_after_answering_is_replaced_and_the_request_sent_again():
    server, url = await serve(answers_per_connection=1)  # every connection is closed after one answer
    async with server:
        result = await open_loop(url, request, rate=50, seconds=0.2)
    assert (result.requests, result.errors) == (10, 0)


async def test_a_request_the_server_never_answers_is_an_error():
    server, url = await serve(answers_per_connection=None)
    async with server:
        result = await open_loop(url, request, rate=50, seconds=0.1)
    assert (result.requests, result.errors) == (5, 5)
    assert result.failures == (("IncompleteReadError", 5),)


async def test_failures_are_counted_by_kind_so_a_sender_out_of_file_descriptors_is_told_from_the_server():
    async with await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
    result = await open_loop(f"http://127.0.0.1:{port}", request, rate=50, seconds=0.1)  # nothing listens any more
    assert result.failures == (("ConnectionRefusedError ECONNREFUSED", 5),)
    assert failures_said(result) == "5 errors: ConnectionRefusedError ECONNREFUSED 5"
