"""Message templates: read from the (fake) Graph API page by page, kept per WhatsApp Business Account, served per
business number (approved ones), read again on demand; and sends checked the way Meta checks them."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from leadline.ingest.entrypoints.templates_api import templates_api
from leadline.ingest.service.ports import GraphApiError
from leadline.platform.auth import TokenVerifier
from leadline.platform.http import install_error_handlers
from leadline.platform.tokens import mint_token
from tests.integration.ingest.outbound_support import ACCOUNT, CUSTOMER, PHONE_NUMBER_ID

SECRET = "ingest-templates-test-secret-0123456789"
WABA = "102290129340398"


class CountingGraph:
    """Ingest's real Graph client, counting the template list calls (a page each)."""

    def __init__(self, graph, page_size: int) -> None:
        self.graph, self.page_size, self.pages = graph, page_size, 0

    async def message_templates(self, waba_id: str) -> list[dict]:
        original = self.graph._call

        async def counted(method, url, **kwargs):
            self.pages += 1
            return await original(method, url, **kwargs)

        self.graph._call = counted
        try:
            return await self.graph.message_templates(waba_id, page_size=self.page_size)
        finally:
            self.graph._call = original


@pytest.fixture
async def api(ingest_db, meta):
    async with ingest_db.uow() as work:
        await work.numbers.register(PHONE_NUMBER_ID, ACCOUNT, WABA)
        await work.numbers.register("106540352242999", ACCOUNT)  # a number whose business account nobody configured
        await work.commit()
    graph = CountingGraph(meta.graph, page_size=2)
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(templates_api(graph=graph, uow=ingest_db.uow, verifier=TokenVerifier(secret=SECRET)))
    token = mint_token(
        secret=SECRET, agent_id="ana", name="Ana Souza", role="seller", account_id=ACCOUNT, teams=["vendas"]
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url="http://ingest", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client, graph


async def test_a_numbers_approved_templates_are_read_page_by_page_once_and_kept(api):
    client, graph = api
    first = await client.get("/templates", params={"phone_number_id": PHONE_NUMBER_ID})
    assert first.status_code == 200, first.text
    assert graph.pages == 3, "six templates, two a page, Meta's cursors followed"
    listed = first.json()
    assert listed["waba_id"] == WABA and listed["synced_at"]
    names = [(t["name"], t["language"]) for t in listed["items"]]
    assert ("black_friday", "pt_BR") not in names, "a rejected template is not offered"
    assert ("follow_up", "en_US") in names and ("retomar_atendimento", "pt_BR") in names
    resume = next(t for t in listed["items"] if t["name"] == "retomar_atendimento")
    assert (resume["category"], resume["header"], resume["parameter_count"]) == ("UTILITY", "Acme Motors", 3)
    assert resume["example"] == ["Maria", "Ana", "Onix 2024"]
    assert next(t for t in listed["items"] if t["name"] == "pedir_contato")["buttons"] == ["Compartilhar contato"]

    again = await client.get("/templates", params={"phone_number_id": PHONE_NUMBER_ID})
    assert again.json() == listed and graph.pages == 3, "kept: not read from Meta again"
    refreshed = await client.post("/templates/sync", params={"phone_number_id": PHONE_NUMBER_ID})
    assert refreshed.status_code == 200 and graph.pages == 6, "on demand: read again"


async def test_a_number_without_a_business_account_or_meta_down_says_why(api, meta):
    client, _ = api
    unknown = await client.get("/templates", params={"phone_number_id": "106540352242999"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "no_business_account"
    await meta.control.fail_next("templates", status=500)
    down = await client.post("/templates/sync", params={"phone_number_id": PHONE_NUMBER_ID})
    assert down.status_code == 502 and down.json()["error"]["code"] == "templates_unavailable"
    anonymous = await client.get(
        "/templates", params={"phone_number_id": PHONE_NUMBER_ID}, headers={"Authorization": ""}
    )
    assert anonymous.status_code == 401


async def test_the_fake_checks_template_sends_as_meta_does(meta):
    async def send(template: dict) -> None:
        await meta.graph.send_message(
            PHONE_NUMBER_ID, {"messaging_product": "whatsapp", "to": CUSTOMER, "type": "template", "template": template}
        )

    body = {"type": "body", "parameters": [{"type": "text", "text": "Maria"}, {"type": "text", "text": "Ana"}]}
    with pytest.raises(GraphApiError) as unknown:
        await send({"name": "retomar_atendimento", "language": {"code": "es_ES"}, "components": [body]})
    assert unknown.value.code == 132001
    with pytest.raises(GraphApiError) as mismatch:
        await send({"name": "retomar_atendimento", "language": {"code": "pt_BR"}, "components": [body]})
    assert mismatch.value.code == 132000
    with pytest.raises(GraphApiError) as rejected:
        await send({"name": "black_friday", "language": {"code": "pt_BR"}, "components": []})
    assert rejected.value.code == 132001, "only approved templates are delivered"
    three = {"type": "body", "parameters": [{"type": "text", "text": v} for v in ("Maria", "Ana", "Onix")]}
    await send({"name": "retomar_atendimento", "language": {"code": "pt_BR"}, "components": [three]})
    [delivered] = await meta.control.sent(to=CUSTOMER)
    assert delivered["body"]["template"]["name"] == "retomar_atendimento"


async def test_a_template_is_rendered_as_the_customer_reads_it_or_refused_as_whatsapp_would(api):
    client, _ = api

    async def render(name: str, language: str, *parameters: str) -> httpx.Response:
        return await client.post(
            "/templates/render",
            params={"phone_number_id": PHONE_NUMBER_ID},
            json={"name": name, "language": language, "parameters": list(parameters)},
        )

    ok = await render("retomar_atendimento", "pt_BR", "Maria", "Ana", "Onix 2024")
    assert ok.status_code == 200, ok.text
    assert ok.json()["text"] == (
        "Acme Motors\n\nOlá, Maria! Aqui é Ana, da Acme Motors. Ainda tem interesse no Onix 2024? "
        "Responda esta mensagem para continuarmos o seu atendimento.\n\n"
        "Responda SAIR para não receber mais mensagens."
    )
    unknown = await render("retomar_atendimento", "es_ES", "Maria", "Ana", "Onix")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "template_not_found"
    rejected = await render("black_friday", "pt_BR", "Maria")
    assert rejected.status_code == 404 and rejected.json()["error"]["code"] == "template_not_found"
    short = await render("retomar_atendimento", "pt_BR", "Maria")
    assert short.status_code == 422 and short.json()["error"]["details"] == {"expected": 3, "given": 1}
