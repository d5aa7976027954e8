"""One customer, one chat, one open conversation: across their phone, their BSUID and both ninth-digit forms.

Every test drives the router's real handlers on the real database, with the customer named the way WhatsApp's
webhooks name them (``leadline.events.MessageReceivedV2`` / ``MessageStatusChangedV2``).
"""

from __future__ import annotations

import asyncio
import json
import uuid

from sqlalchemy import func, select

from leadline.events import WHATSAPP_INBOUND, new_envelope
from leadline.events.common import WhatsAppUser
from leadline.events.content import ContactsContent, SharedContact, SharedPhone
from leadline.fakegraph.evolution import payloads as evo
from leadline.ingest.adapters.evolution.webhooks import parse_webhook
from leadline.router.adapters.tables import conversation_view, customers
from tests.integration.router.conftest import new_customer

OPENED, SEND = "router.conversation.opened", "router.message.send_requested"


def bsuid() -> str:
    return f"BR.{uuid.uuid4().int % 10**16:016d}"


def text(body: str) -> dict:
    return {"kind": "text", "body": body}


def template(name: str = "retomar_contato") -> dict:
    return {"kind": "template", "name": name, "language": "pt_BR", "parameters": []}


async def conversation_of(dealer, published) -> str:
    return published[0].stream_id


async def messages_in(dealer, conversation_id: str) -> int:
    return len(await dealer.outbox(conversation_id, "router.conversation.message_appended"))


async def send_then_status(dealer, conversation_id: str, message_id: str, recipient: WhatsAppUser, state="delivered"):
    """WhatsApp takes the agent's message (ingest's send result), then reports it delivered naming ``recipient``."""
    wamid = f"wamid.{uuid.uuid4().hex}"
    await dealer.ingest_sent(conversation_id, message_id, wamid)
    return await dealer.whatsapp_reports(wamid, recipient, state)


async def start(
    client,
    phone: str | None,
    key: str,
    *,
    lead_id: str | None = None,
    content=None,
    user_id=None,
    number: str | None = None,
):
    body = {
        "lead_id": lead_id or str(uuid.uuid4()),
        "customer_name": "Joana Ribeiro",
        "phone": phone,
        "user_id": user_id,
        "idempotency_key": key,
        "content": content or template(),
        "phone_number_id": number,
    }
    return await client.post("/conversations", json=body)


# ---- one customer, whatever WhatsApp names them by ----------------------------------------------------------------
async def test_a_customer_first_seen_by_phone_then_named_by_phone_and_bsuid_then_by_bsuid_alone_is_one_conversation(
    dealer,
):
    phone, user_id = new_customer(), bsuid()
    first = await conversation_of(dealer, await dealer.customer_writes(phone))
    second = await conversation_of(
        dealer, await dealer.customer_writes(phone, user_id=user_id, username="joana.carros")
    )
    third = await conversation_of(dealer, await dealer.customer_writes(None, user_id=user_id, username="joana.carros"))

    assert first == second == third
    assert await messages_in(dealer, first) == 3
    async with dealer.client("ana") as ana:
        shown = (await ana.get(f"/conversations/{first}")).json()
    assert (shown["customer_phone"], shown["customer_username"], shown["customer_user_id"]) == (
        f"+{phone}",
        "joana.carros",
        user_id,
    )


async def test_a_customer_known_only_by_bsuid_waits_in_the_pool_shown_by_username_and_found_by_it(dealer):
    user_id = bsuid()
    conversation_id = await conversation_of(
        dealer, await dealer.customer_writes(None, user_id=user_id, username="joana.carros", name="Joana Ribeiro")
    )

    async with dealer.client("ana") as ana:
        shown = (await ana.get(f"/conversations/{conversation_id}")).json()
        found = (await ana.get("/conversations", params={"q": "@joana.carros"})).json()["items"]
    assert shown["customer_phone"] is None and shown["customer_wa_id"] is None
    assert (shown["customer_user_id"], shown["customer_username"], shown["status"]) == (user_id, "joana.carros", "new")
    assert [item["conversation_id"] for item in found] == [conversation_id]


async def test_a_status_naming_phone_and_bsuid_links_them_so_the_customer_writing_by_bsuid_alone_finds_their_chat(
    dealer,
):
    phone, user_id = new_customer(), bsuid()
    async with dealer.client("ana") as ana:
        started = (await start(ana, f"+{phone}", "s1")).json()
    await send_then_status(
        dealer, started["conversation_id"], started["message_id"], WhatsAppUser(wa_id=phone, user_id=user_id)
    )

    answered = await conversation_of(dealer, await dealer.customer_writes(None, user_id=user_id, name="Joana"))

    assert answered == started["conversation_id"]
    async with dealer.client("ana") as ana:
        assert (await ana.get(f"/conversations/{answered}")).json()["status"] == "unanswered"


async def test_a_status_of_a_send_to_a_bsuid_names_no_phone_and_still_moves_the_delivery(dealer):
    user_id = bsuid()
    conversation_id = await conversation_of(dealer, await dealer.customer_writes(None, user_id=user_id))
    async with dealer.client("ana") as ana:
        await ana.post(f"/conversations/{conversation_id}/claim", json={})
        message_id = (
            await ana.post(
                f"/conversations/{conversation_id}/messages", json={"idempotency_key": "r1", "content": text("Olá!")}
            )
        ).json()["message_id"]
        await send_then_status(dealer, conversation_id, message_id, WhatsAppUser(user_id=user_id), state="read")
        items = (await ana.get(f"/conversations/{conversation_id}/messages")).json()["items"]
    assert [m["delivery"] for m in items if m["direction"] == "outbound"] == ["read"]


# ---- the ninth digit ----------------------------------------------------------------------------------------------
async def test_both_ninth_digit_forms_of_a_brazilian_mobile_are_one_conversation_in_the_pool(dealer):
    without_nine, with_nine = "551187651234", "5511987651234"
    await dealer.customer_writes(without_nine, "Oi, sem o nove")
    await dealer.customer_writes(with_nine, "Oi, com o nove")

    async with dealer.client("ana") as ana:
        listed = (await ana.get("/conversations", params={"q": "87651234"})).json()["items"]
    (only,) = listed
    assert only["customer_phone"] == "+5511987651234"
    assert await messages_in(dealer, only["conversation_id"]) == 2


async def test_starting_from_a_lead_while_the_other_form_waits_in_the_pool_says_to_take_it_there_then_writes_in_it(
    router,
):
    dealer = await router.dealer()
    pooled = await conversation_of(dealer, await dealer.customer_writes("551187651234", "Oi, sem o nove"))
    async with dealer.client("ana") as ana:
        refused = await start(ana, "+55 11 98765-1234", "s-pool")
        assert refused.status_code == 409, refused.text
        error = refused.json()["error"]
        assert error["code"] == "open_conversation_in_pool" and error["details"]["conversation_id"] == pooled
        assert "pool" in error["message"] and "Add lead" in error["message"]

        assert (await ana.post(f"/conversations/{pooled}/claim", json={})).status_code == 200
        started = await start(ana, "+55 11 98765-1234", "s-after-claim", content=text("Oi Joana, é a Ana!"))
    assert started.status_code == 200, started.text
    assert started.json()["conversation_id"] == pooled and started.json()["existing"] is True
    assert len(await dealer.outbox(pooled, OPENED)) == 1, "no second conversation"


async def test_starting_from_a_lead_whose_customer_another_agent_took_from_your_pool_names_that_agent(dealer):
    phone = new_customer()
    conversation_id = await conversation_of(dealer, await dealer.customer_writes(phone))
    async with dealer.client("bruno") as bruno:
        await bruno.post(f"/conversations/{conversation_id}/claim", json={})
    async with dealer.client("ana") as ana:
        refused = await start(ana, f"+{phone}", "s-taken")

    assert refused.status_code == 409 and refused.json()["error"]["code"] == "already_claimed"
    assert refused.json()["error"]["details"]["owner"]["name"] == "Bruno Lima"


async def test_starting_from_a_lead_whose_customer_talks_in_a_conversation_you_cannot_see_says_only_that(dealer):
    phone = new_customer()
    async with dealer.client("carla") as carla:  # carla starts it from her lead: it never waited in a pool
        assert (await start(carla, f"+{phone}", "s-carla", number=dealer.shared)).status_code == 201
    async with dealer.client("ana") as ana:
        refused = await start(ana, f"+{phone}", "s-ana")

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "customer_in_another_conversation"
    assert "Carla" not in refused.text, "the owner of an invisible conversation is not leaked"


# ---- when WhatsApp's names disagree, and races -------------------------------------------------------------------
async def test_a_phone_and_a_bsuid_seen_apart_merge_and_the_older_conversation_takes_the_customers_next_messages(
    dealer,
):
    phone, user_id = new_customer(), bsuid()
    async with dealer.client("ana") as ana:
        older = (await start(ana, f"+{phone}", "s-older")).json()["conversation_id"]
    younger = await conversation_of(dealer, await dealer.customer_writes(None, user_id=user_id, name="Joana"))
    assert younger != older, "nothing linked them yet"

    joined = await conversation_of(dealer, await dealer.customer_writes(phone, user_id=user_id, name="Joana"))
    later = await conversation_of(dealer, await dealer.customer_writes(None, user_id=user_id, name="Joana"))

    assert joined == later == older
    async with dealer.router.sessions() as session:
        ids = await session.scalars(
            select(conversation_view.c.customer_id).where(
                conversation_view.c.conversation_id.in_([uuid.UUID(older), uuid.UUID(younger)])
            )
        )
        live = {
            str(c): row
            for c in ids
            for row in [
                (
                    await session.execute(
                        select(customers.c.merged_into, customers.c.phone, customers.c.user_id).where(
                            customers.c.customer_id == c
                        )
                    )
                ).one()
            ]
        }
    survivor = next(c for c, row in live.items() if row.merged_into is None)
    assert live[survivor][1:] == (f"+{phone}", user_id)
    async with dealer.client("diego") as admin:
        assert (await admin.get(f"/conversations/{younger}")).json()["status"] == "new", (
            "the younger stays open where it is"
        )


async def test_a_phone_that_comes_with_another_bsuid_belongs_to_that_new_user_and_the_old_one_keeps_its_chat(dealer):
    phone, first_user, new_user = new_customer(), bsuid(), bsuid()
    theirs = await conversation_of(dealer, await dealer.customer_writes(phone, user_id=first_user, name="Antigo dono"))
    mine = await conversation_of(dealer, await dealer.customer_writes(phone, user_id=new_user, name="Novo dono"))
    by_phone = await conversation_of(dealer, await dealer.customer_writes(phone, name="Novo dono"))
    by_old_bsuid = await conversation_of(
        dealer, await dealer.customer_writes(None, user_id=first_user, name="Antigo dono")
    )

    assert mine != theirs
    assert by_phone == mine, "the phone belongs to the latest BSUID it came with"
    assert by_old_bsuid == theirs


async def test_a_burst_naming_the_customer_in_every_form_at_once_opens_exactly_one_conversation(dealer):
    subscriber = f"8{uuid.uuid4().int % 10**7:07d}"  # an old eight-digit mobile (6-9 first): the ninth digit applies
    phone_digits, eight_digits = f"55119{subscriber}", f"5511{subscriber}"
    user_id = bsuid()
    forms = [
        dict(wa_id=phone_digits),
        dict(wa_id=eight_digits),
        dict(wa_id=phone_digits, user_id=user_id),
        dict(wa_id=eight_digits, user_id=user_id),
        dict(wa_id=None, user_id=user_id),
    ]
    await dealer.customer_writes(phone_digits, "primeira", user_id=user_id)  # known by both; now every form at once
    results = await asyncio.gather(
        *(
            dealer.customer_writes(form["wa_id"], f"msg {n}", user_id=form.get("user_id"))
            for n, form in enumerate(forms * 2)
        )
    )

    conversations = {published[0].stream_id for published in results}
    assert len(conversations) == 1
    async with dealer.router.sessions() as session:
        assert (
            await session.scalar(
                select(func.count())
                .select_from(customers)
                .where(customers.c.account_id == dealer.account_id, customers.c.merged_into.is_(None))
            )
            == 1
        )


# ---- sending by BSUID ---------------------------------------------------------------------------------------------
async def test_an_answer_to_a_customer_known_only_by_bsuid_goes_to_the_bsuid_and_once_they_share_their_number_to_it(
    dealer,
):
    user_id = bsuid()
    conversation_id = await conversation_of(
        dealer, await dealer.customer_writes(None, user_id=user_id, username="joana")
    )
    async with dealer.client("ana") as ana:
        await ana.post(f"/conversations/{conversation_id}/claim", json={})
        await ana.post(
            f"/conversations/{conversation_id}/messages", json={"idempotency_key": "a1", "content": text("Oi!")}
        )
        card = SharedContact(
            formatted_name="Joana",
            phones=(SharedPhone(phone="+55 11 98765-1234", wa_id="5511987651234"),),
            origin="contact_request",
        )
        await dealer.customer_writes(None, user_id=user_id, content=ContactsContent(contacts=(card,)))
        await ana.post(
            f"/conversations/{conversation_id}/messages", json={"idempotency_key": "a2", "content": text("Obrigada!")}
        )
        shown = (await ana.get(f"/conversations/{conversation_id}")).json()

    first, second = [json.loads(json.dumps(e["payload"]["to"])) for e in await dealer.outbox(conversation_id, SEND)]
    assert first == {"wa_id": None, "user_id": user_id, "parent_user_id": None, "username": "joana"}
    assert second["wa_id"] == "5511987651234" and second["user_id"] == user_id
    assert shown["customer_phone"] == "+5511987651234", "the shared number shows where the number would"


async def test_what_an_agent_types_when_starting_from_a_lead_never_links_a_phone_to_a_bsuid(dealer):
    phone, someone_else = new_customer(), bsuid()
    async with dealer.client("ana") as ana:
        started = (await start(ana, f"+{phone}", "s-typed", user_id=someone_else)).json()["conversation_id"]

    theirs = await conversation_of(
        dealer, await dealer.customer_writes(None, user_id=someone_else, name="Outra pessoa")
    )

    assert theirs != started
    async with dealer.router.sessions() as session:
        holder = await session.scalar(
            select(customers.c.phone).where(
                customers.c.account_id == dealer.account_id, customers.c.user_id == someone_else
            )
        )
    assert holder is None


async def test_a_lead_known_only_by_bsuid_starts_a_conversation_written_to_that_bsuid(dealer):
    user_id = bsuid()
    first = await conversation_of(dealer, await dealer.customer_writes(None, user_id=user_id, username="joana"))
    async with dealer.client("diego") as admin:
        await admin.post(f"/conversations/{first}/finish")
    async with dealer.client("ana") as ana:
        started = await start(ana, None, "s-bsuid", user_id=user_id)

    assert started.status_code == 201, started.text
    (send,) = await dealer.outbox(started.json()["conversation_id"], SEND)
    assert (send["payload"]["to"]["user_id"], send["payload"]["to"]["wa_id"]) == (user_id, None)


# ---- across channels ------------------------------------------------------------------------------------------------
async def test_one_person_writing_to_a_cloud_api_number_and_to_an_evolution_number_is_one_customer(dealer):
    subscriber = f"8{uuid.uuid4().int % 10**7:07d}"  # an old eight-digit mobile: WhatsApp Web names it without the nine
    webhook = evo.envelope(
        "messages.upsert",
        "acme-usados",
        evo.message_upsert(evo.text("Oi, pelo outro número"), remote_jid=evo.jid(f"5511{subscriber}")),
        apikey="k",
    )
    [from_evolution] = parse_webhook(
        webhook, phone_number_id=dealer.used_cars, display_number="+5511934567890", received_at=dealer.router.clock()
    ).received
    envelope = new_envelope(
        from_evolution,
        account_id=dealer.account_id,
        stream_id=from_evolution.stream_id(dealer.account_id),
        sequence=1,
        occurred_at=dealer.router.clock(),
    )

    on_cloud_api = await dealer.customer_writes(f"55119{subscriber}", "Oi, pela API oficial")  # Meta's wa_id has the 9
    on_evolution = await dealer.router.deliver(WHATSAPP_INBOUND, envelope)

    assert from_evolution.customer.wa_id == f"5511{subscriber}"
    assert on_cloud_api and on_evolution
    async with dealer.router.sessions() as session:
        rows = (
            await session.execute(
                select(customers.c.phone).where(
                    customers.c.account_id == dealer.account_id,
                    customers.c.merged_into.is_(None),
                    customers.c.phone.contains(subscriber) | customers.c.wa_id.contains(subscriber),
                )
            )
        ).all()
    assert rows == [(f"+55119{subscriber}",)], "one customer whichever channel they wrote through"
