"""What the customer sent, seen and played where a salesperson looks: the conversation (live) and the lead's timeline."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.conftest import DESKTOP, WAIT_MS, Customer
from tests.browser.test_inbox import Agent, finish_and_open_the_timeline, png

pytestmark = pytest.mark.browser

LOADED_IMAGE = "img => img.complete && img.naturalWidth > 0"
PLAYABLE = "player => Number.isFinite(player.duration) && player.duration > 0"


def wait_for(page, selector: str, check: str) -> None:
    """Until ``check`` holds for the element (a live update may replace it meanwhile)."""
    page.wait_for_function(
        f"(selector) => {{ const el = document.querySelector(selector); return !!el && ({check})(el); }}",
        arg=selector,
        timeout=WAIT_MS,
    )


def test_photos_voice_notes_gifs_videos_documents_places_and_contacts_show_and_play_live_and_in_the_timeline(
    stack, chromium, screenshots
):
    from playwright.sync_api import expect

    web, fake = stack.url("web"), stack.url("fakegraph")
    customer = Customer(fake, "5511955554444", "Paula Menezes")
    ana = Agent(chromium, web, "ana")
    page = ana.page
    customer.says("Oi! Quero trocar meu carro, vou mandar umas fotos.")
    ana.row("Paula Menezes").locator("a").click()
    expect(page.locator("#messages")).to_contain_text("trocar meu carro")

    # the conversation is open on her screen: each file appears in place as soon as ingest has it, no reload
    customer.sends("image", caption="Meu carro atual")
    customer.sends("voice")
    customer.sends("gif")
    customer.sends("video", caption="Barulho no motor")
    customer.sends("document")
    customer.sends("sticker")
    customer.sends("location")
    customer.sends("contacts")
    messages = page.locator("#messages")
    wait_for(page, "#messages li[data-kind=image] img", LOADED_IMAGE)
    wait_for(page, "#messages li[data-kind=voice] audio", PLAYABLE)
    wait_for(page, "#messages li[data-kind=gif] video", PLAYABLE)
    wait_for(page, "#messages li[data-kind=video] video", PLAYABLE)
    wait_for(page, "#messages li[data-kind=sticker] img", LOADED_IMAGE)
    expect(messages.locator("li[data-kind=image]")).to_contain_text("Meu carro atual")
    expect(messages.locator("li[data-kind=gif] .badge")).to_have_text("GIF")
    expect(messages.locator("li[data-kind=voice] .duration")).to_have_text("0:03")
    document = messages.locator("li[data-kind=document] a.file")
    expect(document).to_contain_text("proposta-onix-2024.pdf")
    expect(document.locator(".size")).to_have_text("1,1 KB")  # pt-BR numbers
    expect(messages.locator("li[data-kind=location]")).to_contain_text("Acme Motors")
    expect(messages.locator("li[data-kind=location] a.map-link")).to_have_attribute(
        "href", "https://www.google.com/maps/search/?api=1&query=-23.5614,-46.6559"
    )
    expect(messages.locator("li[data-kind=contacts]")).to_contain_text("Carlos Souza")
    expect(messages.locator("li[data-kind=contacts]")).to_contain_text("+55 11 91234-5678")
    with page.expect_download() as download:
        document.click()
    assert download.value.suggested_filename == "proposta-onix-2024.pdf"

    # a photo opens large; Escape closes it
    messages.locator("li[data-kind=image] button.zoom").click()
    expect(page.locator("#lightbox img")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#lightbox")).to_be_hidden()

    # a file WhatsApp no longer has: not available, and why (no retry: it cannot work)
    httpx.post(f"{fake}/_fake/failures", json={"endpoint": "media", "code": 100}, timeout=5).raise_for_status()
    customer.sends("image", caption="Outra foto")
    gone = messages.locator("li[data-kind=image]", has_text="Outra foto")
    expect(gone.locator("[data-media-state=unavailable]")).to_contain_text("expirou ou foi apagado")
    expect(gone.locator("[data-media-state=unavailable]")).to_contain_text("código 100")
    expect(gone.locator("button.retry")).to_have_count(0)

    # Ana adds the lead and answers with a photo; someone at the store sends one from the phone
    page.locator("#add-lead").click()
    page.locator("#save-lead").click()
    expect(page.locator("#finish")).to_be_visible()
    page.locator("#reply-image").set_input_files(
        files=[{"name": "onix.png", "mimeType": "image/png", "buffer": png(200, 120)}]
    )
    wait_for(page, "#messages li.out[data-kind=image] img", LOADED_IMAGE)
    customer.business_app_sends("image", caption="Foto tirada no pátio")
    echo = messages.locator("li.out[data-kind=image]", has_text="Foto tirada no pátio")
    expect(echo.locator(".sender")).to_have_text("Pelo celular")
    wait_for(page, "#messages li.out[data-kind=image] figure:has(figcaption) img", LOADED_IMAGE)
    page.set_viewport_size({"width": 1366, "height": 2700})  # the whole conversation in one picture
    page.screenshot(path=screenshots / "conversation-media.png")
    page.set_viewport_size(DESKTOP)
    assert customer.wait_for(lambda sent: any(r["body"].get("type") == "image" for r in sent))

    # finished: the lead's timeline keeps the photos, GIF, voice note, video and document — never the sticker,
    # the place or the contact card — and plays them
    timeline = finish_and_open_the_timeline(page, stack)
    wait_for(page, "#timeline [data-content=image] img", LOADED_IMAGE)
    wait_for(page, "#timeline [data-content=voice] audio", PLAYABLE)
    wait_for(page, "#timeline [data-content=gif] video", PLAYABLE)
    expect(timeline.locator("[data-content=gif] .badge")).to_have_text("GIF")
    expect(timeline.locator("[data-content=document]")).to_contain_text("proposta-onix-2024.pdf")
    expect(timeline.locator("[data-content=image]", has_text="Foto tirada no pátio")).to_contain_text("Pelo celular")
    expect(timeline.locator("[data-content=image] [data-media-state=unavailable]")).to_contain_text("expirou")
    for never in ("sticker", "location", "contacts"):
        expect(timeline.locator(f"[data-content={never}]")).to_have_count(0)
    page.screenshot(path=screenshots / "lead-timeline-media.png", full_page=True)

    assert ana.unexpected_errors() == [], ana.errors
    ana.close()
