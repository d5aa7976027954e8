"""The agent inbox in real Chromium, against the stack ``make run`` starts: the whole story an agent lives."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.browser.conftest import DESKTOP, PHONE, WAIT_MS, Customer

pytestmark = pytest.mark.browser


OVERFLOW = """() => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && el.offsetParent !== null)
  .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`).slice(0, 5)"""


def png(width: int, height: int, rgb=(18, 140, 74)) -> bytes:
    """A plain PNG of one colour: the image an agent sends."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class Agent:
    """One browser context logged in as a seeded agent, with its console errors collected."""

    def __init__(self, browser, base_url: str, agent_id: str, viewport=DESKTOP) -> None:
        self.context = browser.new_context(viewport=viewport, base_url=base_url)
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT_MS)
        self.errors: list[str] = []
        self.expected_errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on(
            "response", lambda r: r.status >= 400 and self.errors.append(f"{r.status} {r.request.method} {r.url}")
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.goto("/")
        self.page.locator(f"[data-agent={agent_id}]").click()
        self.page.locator("#chat-button").wait_for()

    def _console(self, message) -> None:
        """Chromium's own "Failed to load resource" line names no address: the failed response is kept instead."""
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def row(self, name: str):
        return self.page.locator("#conversation-list li", has_text=name)

    def tab(self, status: str):
        self.page.locator(f"#tab-{status}").click()

    def unexpected_errors(self) -> list[str]:
        left = list(self.errors)
        for expected in self.expected_errors:
            left = [e for e in left if expected not in e]
        return left

    def close(self) -> None:
        self.context.close()


def timeline_has(history_url: str, token_page, lead_id: str, kind: str, timeout_s: float = 20) -> None:
    token = token_page.evaluate("sessionStorage.getItem('leadline.token')")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answer = httpx.get(f"{history_url}/leads/{lead_id}/timeline", headers={"Authorization": f"Bearer {token}"})
        if answer.status_code == 200 and any(e["kind"] == kind for e in answer.json()["entries"]):
            return
        time.sleep(0.3)
    raise AssertionError(f"no {kind} in the timeline of {lead_id}")


def test_two_sellers_share_a_new_conversation_one_adds_the_lead_answers_and_finishes_it_into_the_timeline(
    stack, chromium, screenshots
):
    from playwright.sync_api import expect

    web, fake = stack.url("web"), stack.url("fakegraph")
    customer = Customer(fake, "5511987654321", "Marcos Pereira")
    ana, bruno = Agent(chromium, web, "ana"), Agent(chromium, web, "bruno")
    page = ana.page
    expect(page.locator("#tab-new")).to_contain_text("Novas")  # pt-BR is the default

    # a customer writes: the conversation appears live on both sellers' screens, in New
    customer.says("Olá, o Onix 2024 ainda está disponível?")
    for agent in (ana, bruno):
        expect(agent.row("Marcos Pereira")).to_be_visible()
        expect(agent.page.locator("#chat-count")).to_have_text("1")
    page.screenshot(path=screenshots / "inbox.png")
    # the browser tests share one stack: Ana's other tabs may hold conversations of the tests before this one
    before = {status: int(page.locator(f"[data-count={status}]").inner_text()) for status in ("no_reply", "unanswered")}

    # search and the Filter panel
    page.fill("#search", "98765")
    expect(ana.row("Marcos Pereira")).to_be_visible()
    expect(page.locator("#clear-filters")).to_be_visible()
    page.fill("#search", "ninguém")
    expect(page.locator("#conversation-list")).to_contain_text("Nenhuma conversa com estes filtros")
    page.locator("#clear-filters").click()
    page.locator("#filter-button").click()
    expect(page.locator("#filters")).to_contain_text("Bruno Lima")  # the agents of the account
    page.locator("#filters input[name=agent][value=bruno]").check()  # nobody owns it yet
    expect(page.locator("#conversation-list")).to_contain_text("Nenhuma conversa")
    page.locator("#filters button", has_text="Limpar filtros").click()
    expect(ana.row("Marcos Pereira")).to_be_visible()
    page.keyboard.press("Escape")
    page.locator("#filters button", has_text="Fechar").click()

    # both open it and both open Add lead; Ana saves first
    for agent in (ana, bruno):
        agent.row("Marcos Pereira").locator("a").click()
        expect(agent.page.locator("#messages")).to_contain_text("Onix 2024")
        expect(agent.page.locator("#reply-text")).to_be_hidden()  # only the owner answers
        agent.page.locator("#add-lead").click()
        expect(agent.page.locator("#lead-name")).to_have_value("Marcos Pereira")
        expect(agent.page.locator("#lead-mobile")).to_have_value("+55 11 98765-4321")
    page.fill("#lead-vehicle_of_interest", "Onix 2024")
    page.screenshot(path=screenshots / "add-lead.png")
    page.locator("#save-lead").click()
    expect(page.locator("#finish")).to_be_visible()

    # …and it leaves Bruno's screen without a reload; his save then gets the product's message
    expect(bruno.row("Marcos Pereira")).to_have_count(0)
    bruno.expected_errors.append("409 POST")  # the refused save
    bruno.page.locator("#save-lead").click()
    expect(bruno.page.locator("#lead-error")).to_have_text(
        "Ana Souza já assumiu esta conversa."
    )  # the server's refusal, in pt-BR
    bruno.page.keyboard.press("Escape")
    expect(bruno.page.locator(".banner")).to_contain_text("não está mais com você")

    # Ana answers: the customer sees her name; the conversation moves from Unanswered to No reply
    ana.tab("unanswered")
    expect(ana.row("Marcos Pereira")).to_be_visible()
    page.fill("#reply-text", "Olá! Está sim. Quer agendar um test drive?")
    page.locator("#send").click()
    sent = customer.wait_for(lambda data: data)
    assert sent[0]["body"]["text"]["body"] == "*Ana Souza:*\nOlá! Está sim. Quer agendar um test drive?"
    reply = page.locator("#messages li.out").last
    expect(reply.locator(".sender")).to_have_text("Ana Souza")
    expect(reply.locator(".ticks")).to_have_attribute("data-delivery", "delivered")
    expect(ana.row("Marcos Pereira")).to_have_count(0)
    expect(page.locator("[data-count=no_reply]")).to_have_text(str(before["no_reply"] + 1))
    ana.tab("no_reply")
    expect(ana.row("Marcos Pereira")).to_be_visible()

    # the customer answers: back to Unanswered, live, and the message shows in the open conversation
    customer.says("Quero sim, amanhã às 10h?")
    expect(page.locator("#messages")).to_contain_text("amanhã às 10h")
    expect(ana.row("Marcos Pereira")).to_have_count(0)
    expect(page.locator("[data-count=unanswered]")).to_have_text(str(before["unanswered"] + 1))

    # an image reply, the search inside the conversation, the numbers behind the names
    page.locator("#reply-image").set_input_files(
        files=[{"name": "onix.png", "mimeType": "image/png", "buffer": png(160, 90)}]
    )
    expect(page.locator("#messages li.out[data-kind=image] img")).to_be_visible()
    customer.wait_for(lambda data: any(r["body"].get("type") == "image" for r in data))
    page.fill("#message-search", "test drive")
    expect(page.locator("#messages li")).to_have_count(1)
    page.fill("#message-search", "")
    assert "+55 11 98765-4321" in hovered_tip(page, "#customer-name")
    assert page.locator("#business-number").get_attribute("data-tip") == "+15550783881"
    page.screenshot(path=screenshots / "conversation.png")

    # finishing puts the conversation in the lead's timeline, opened from the green icon
    timeline = finish_and_open_the_timeline(page, stack)
    for kind in ("conversion_point", "claim", "message", "conversation_finished"):
        expect(timeline.locator(f"[data-kind={kind}]").first).to_be_visible()
    expect(page.locator("#conversion-point")).to_contain_text("WhatsApp")
    expect(page.locator(".lead-page h1 .temperature")).to_be_visible()
    page.screenshot(path=screenshots / "lead-timeline.png", full_page=True)

    # from the lead, start a new conversation: Vendas writes from Acme Motors and from Acme Usados (WhatsApp Web),
    # so "Próximo" after choosing the number he wrote to
    expect(page.locator("#start-number option")).to_have_count(2)
    page.select_option("#start-number", "106540352242922")
    page.locator("#start-next").click()
    page.fill("#start-text", "Marcos, seu test drive está confirmado.")
    page.locator("#start-conversation").click()
    expect(page.locator("#messages")).to_contain_text("test drive está confirmado")
    customer.wait_for(lambda data: any("confirmado" in (r["body"].get("text") or {}).get("body", "") for r in data))

    # English is available
    page.select_option("#language", "en")
    expect(page.locator("#tab-new")).to_contain_text("New")
    page.select_option("#language", "pt-BR")

    assert ana.unexpected_errors() == [], ana.errors
    assert bruno.unexpected_errors() == [], bruno.errors
    ana.close()
    bruno.close()


def test_a_live_update_of_the_list_leaves_the_keyboard_focus_on_the_same_conversation_or_tab(stack, chromium):
    """Every live update draws the rows and the tabs anew: a seller moving through the inbox by keyboard must not be
    thrown back to the top of the page whenever a customer writes."""
    from playwright.sync_api import expect

    first = Customer(stack.url("fakegraph"), "5521991113333", "Renata Lima", phone_number_id="106540352242923")
    later = Customer(stack.url("fakegraph"), "5521991114444", "Paulo Dias", phone_number_id="106540352242923")
    last = Customer(stack.url("fakegraph"), "5521991115555", "Sofia Melo", phone_number_id="106540352242923")
    carla = Agent(chromium, stack.url("web"), "carla")
    page = carla.page
    first.says("Oi, o Onix 2022 ainda está disponível?")
    expect(carla.row("Renata Lima")).to_be_visible()

    page.locator("#tab-new").focus()
    later.says("Boa tarde, vocês aceitam troca?")
    expect(carla.row("Paulo Dias")).to_be_visible()  # the list and the tabs were drawn again
    expect(page.locator("#tab-new")).to_be_focused()

    carla.row("Renata Lima").locator("a").focus()
    focused = "document.activeElement.closest('#conversation-list li')?.textContent || ''"
    assert "Renata Lima" in page.evaluate(focused)
    last.says("Vocês abrem no sábado?")
    expect(carla.row("Sofia Melo")).to_be_visible()
    assert "Renata Lima" in page.evaluate(focused), "the focus left the conversation the seller was on"
    page.keyboard.press("Enter")
    expect(page.locator("#messages")).to_contain_text("Onix 2022")
    assert carla.unexpected_errors() == [], carla.errors
    carla.close()


def test_at_phone_width_the_inbox_and_a_conversation_fit_and_everything_is_reachable_by_keyboard(
    stack, chromium, screenshots
):
    from playwright.sync_api import expect

    customer = Customer(stack.url("fakegraph"), "5521991112222", "Julia Costa", phone_number_id="106540352242923")
    carla = Agent(chromium, stack.url("web"), "carla", viewport=PHONE)
    page = carla.page
    customer.says("Bom dia! Vocês têm Corolla seminovo?")
    expect(carla.row("Julia Costa")).to_be_visible()
    assert page.evaluate(OVERFLOW) == []
    page.screenshot(path=screenshots / "phone-inbox.png")

    # keyboard only: from the top of the page to the conversation, then Add lead and save
    page.locator("body").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('#conversation-list') !== null"):
            break
    else:
        raise AssertionError("the conversation list is not reachable with Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#messages")).to_contain_text("Corolla")
    assert page.evaluate(OVERFLOW) == []
    page.locator("#add-lead").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#lead-name")).to_be_focused()
    page.keyboard.press("Enter")  # submits the prefilled form
    expect(page.locator("#finish")).to_be_visible()
    page.screenshot(path=screenshots / "phone-conversation.png")
    page.locator("#finish").click()
    expect(page.locator("#conversation-status")).to_have_text("Finalizadas")

    # Seminovos writes from two numbers: starting from the lead asks which one. History may not know a lead made
    # seconds ago (it learns of it from the leads topic): the page then shows its timeline empty (lead.js)
    carla.expected_errors.append(f"404 GET {stack.url('web')}/api/history/leads/")
    page.locator("#open-lead").click()
    expect(page.locator("#start-number option")).to_have_count(2)
    page.select_option("#start-number", "106540352242923")
    page.locator("#start-next").click()  # "Próximo": she wrote to this number today, so free text
    expect(page.locator("#service-window")).to_contain_text("Janela de 24 h aberta")
    page.fill("#start-text", "Julia, temos dois Corolla 2022.")
    page.locator("#start-conversation").click()
    expect(page.locator("#messages")).to_contain_text("dois Corolla")
    assert carla.unexpected_errors() == [], carla.errors
    carla.close()


def finish_and_open_the_timeline(page, stack):
    """Finish the open conversation, wait for history to record it, open the lead from the green icon: its timeline."""
    from playwright.sync_api import expect

    page.locator("#finish").click()
    expect(page.locator("#conversation-status")).to_have_text("Finalizadas")
    lead_id = page.locator("#open-lead").get_attribute("href").rsplit("/", 1)[1]
    timeline_has(stack.url("history"), page, lead_id, "conversation_finished")
    page.locator("#open-lead").click()
    return page.locator("#timeline")


def hovered_tip(page, selector: str, timeout_s: float = 5.0) -> str:
    """The tooltip a hover shows; hovered again if a live update re-rendered the element under the pointer."""
    deadline = time.monotonic() + timeout_s
    while True:
        page.locator(selector).hover()
        tip = page.locator(selector).evaluate("el => getComputedStyle(el, '::after').content")
        if tip not in ("", "none", "normal") or time.monotonic() > deadline:
            return tip
        page.wait_for_timeout(100)
