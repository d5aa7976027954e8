"""The raw baseline for ingest: a bare ASGI endpoint (no framework) that produces the body to Kafka."""

from __future__ import annotations

import argparse

import uvicorn
from aiokafka import AIOKafkaProducer

from leadline.platform import kafka_clients
from leadline.platform.settings import KafkaSettings


def make_app(bootstrap: str, topic: str):
    producer: AIOKafkaProducer | None = None

    async def app(scope, receive, send):
        nonlocal producer
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    producer = kafka_clients.producer(
                        KafkaSettings(kafka_bootstrap_servers=bootstrap), acks="all", linger_ms=1
                    )
                    await producer.start()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await producer.stop()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] == "/healthz":
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
            await send({"type": "http.response.body", "body": b"ok"})
            return
        await producer.send_and_wait(topic, body)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"19")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"status":"stored"}'})

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    args = parser.parse_args()
    uvicorn.run(make_app(args.bootstrap, args.topic), host="127.0.0.1", port=args.port, log_level="warning")
