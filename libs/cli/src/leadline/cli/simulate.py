"""``leadline simulate``: play a WhatsApp customer against a running stack, through the fake Graph API."""

from __future__ import annotations

import asyncio
import json
import os

import httpx
import typer
from rich.console import Console
from rich.table import Table

from leadline.fakegraph.client import FakeGraphClient
from leadline.fakegraph.webhooks import BusinessNumber

app = typer.Typer(
    help="Simulate customers and WhatsApp through the fake Graph API of `make run`.", no_args_is_help=True
)
console = Console()

FakeUrl = typer.Option(
    lambda: os.environ.get("FAKE_GRAPH_URL", "http://127.0.0.1:8010"),
    "--fake-url",
    help="the fake Graph API (FAKE_GRAPH_URL)",
)
FakeEvolutionUrl = typer.Option(
    lambda: os.environ.get("FAKE_EVOLUTION_URL", "http://127.0.0.1:8011"),
    "--fake-evolution-url",
    help="the fake Evolution API (FAKE_EVOLUTION_URL): numbers it serves are simulated through it",
)
CAPTIONED_KINDS = ("image", "video", "gif", "document")
Number = typer.Option(
    BusinessNumber().phone_number_id, "--number", help="business phone_number_id the customer writes to"
)


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)


def _evolution_numbers(fake_evolution_url: str) -> dict[str, str]:
    """The numbers the fake Evolution API serves (number → instance); none when it is not running."""
    try:
        return httpx.get(f"{fake_evolution_url}/_fake/numbers", timeout=2.0).json()
    except (httpx.HTTPError, ValueError):
        return {}


async def _post(url: str, order: dict) -> dict:
    async with httpx.AsyncClient(timeout=15.0) as client:
        response = await client.post(url, json=order)
        response.raise_for_status()
        return response.json()


def _run(coroutine):
    try:
        return asyncio.run(coroutine)
    except httpx.TransportError as error:
        _fail(f"the fake Graph API is not reachable ({error.__class__.__name__}); is `make run` up?")
    except httpx.HTTPStatusError as error:
        _fail(f"the fake Graph API refused: {error.response.status_code} {error.response.text[:300]}")


@app.command()
def say(
    customer: str = typer.Option(
        None, "--from", help="customer's WhatsApp number, digits with country code (5511987654321)"
    ),
    text: str = typer.Option(
        None, help="what the customer writes (text), or the caption of an image, video, GIF or document"
    ),
    kind: str = typer.Option(
        "text",
        help="text, image, gif, voice, audio, video, document, sticker, location, contacts "
        "(media kinds send a real small file the fake Graph API serves)",
    ),
    name: str = typer.Option("Cliente Teste", help="customer's WhatsApp profile name ('' for none)"),
    bsuid: str = typer.Option(
        None,
        "--bsuid",
        help="customer's business-scoped user id (BR.1502576394655843); "
        "without --from, WhatsApp shows no phone (a username user)",
    ),
    username: str = typer.Option(None, help="customer's WhatsApp username (with --bsuid)"),
    number: str = Number,
    fake_url: str = FakeUrl,
    fake_evolution_url: str = FakeEvolutionUrl,
) -> None:
    """A customer writes to the business: a signed webhook goes to ingest (through the fake Evolution API when the
    number is connected through Evolution)."""
    if kind == "text" and not text:
        _fail("--text is required for a text message")
    if not customer and not bsuid:
        _fail("name the customer: --from (their number), --bsuid, or both")
    if number in _evolution_numbers(fake_evolution_url):
        if not customer:
            _fail("WhatsApp Web names every customer by phone: --from is required on an Evolution number")
        order = {"kind": kind, "text": text, "name": name}
        result = _run(_post(f"{fake_evolution_url}/_fake/customers/{customer}/say", order))
        console.print(f"wamid {result['wamid']} → ingest answered {result.get('webhook_status')}")
        return

    caption = {"caption": text} if kind in CAPTIONED_KINDS and text else {}

    async def go():
        async with FakeGraphClient(fake_url) as fake:
            if customer is None:
                return await fake.say_as_user(
                    bsuid,
                    text,
                    phone_number_id=number,
                    kind=kind,
                    profile_name=name or None,
                    username=username,
                    **caption,
                )
            return await fake.say(
                customer,
                text,
                phone_number_id=number,
                kind=kind,
                profile_name=name or None,
                user_id=bsuid,
                username=username,
                **caption,
            )

    result = _run(go())
    console.print(f"wamid {result['wamid']} → ingest answered {result.get('webhook_status')}")
    if result.get("error"):
        _fail(str(result["error"]))


@app.command("share-contact")
def share_contact(
    bsuid: str = typer.Option(..., "--bsuid", help="the customer who taps 'Share contact info'"),
    phone: str = typer.Option(..., "--phone", help="the number they share (+5511987651234)"),
    number: str = Number,
    fake_url: str = FakeUrl,
) -> None:
    """The customer answers the request-contact-info template with their number."""

    async def go():
        async with FakeGraphClient(fake_url) as fake:
            return await fake.share_contact(bsuid, phone=phone, phone_number_id=number)

    result = _run(go())
    console.print(f"wamid {result['wamid']} → ingest answered {result.get('webhook_status')}")


@app.command()
def sent(
    number: str = typer.Option(None, "--number"), to: str = typer.Option(None, "--to"), fake_url: str = FakeUrl
) -> None:
    """What leadline sent to WhatsApp (as the fake Graph API recorded it)."""

    async def go():
        async with FakeGraphClient(fake_url) as fake:
            return await fake.sent(phone_number_id=number, to=to)

    table = Table("to", "type", "what")
    for record in _run(go()):
        body = record.get("body", record)
        what = (body.get("text") or {}).get("body") or json.dumps(body.get(body.get("type", ""), ""))[:80]
        table.add_row(str(body.get("to") or body.get("recipient")), str(body.get("type")), what)
    console.print(table)
