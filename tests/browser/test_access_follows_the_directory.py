"""The page follows the account directory while it is open: a role change shows at once, a deactivation logs out.

The token the page holds was minted when Bruno logged in, as a seller; what the page shows of his role is the
directory's (the router's ``/directory``), read again when the live stream says his access changed.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import Api
from tests.browser.test_inbox import Agent

pytestmark = pytest.mark.browser

BRUNO = {"name": "Bruno Lima", "role": "seller", "teams": ["vendas"]}  # deploy/dev/accounts.yaml


def test_a_seller_made_admin_sees_it_at_once_and_once_deactivated_is_logged_out_with_the_reason(
    stack, chromium, screenshots
):
    from playwright.sync_api import expect

    web = stack.url("web")
    admin = Api(web, "diego")
    bruno = Agent(chromium, web, "bruno")
    page = bruno.page
    try:
        expect(page.locator("#who")).to_have_text("Bruno Lima · Vendedor(a)")
        expect(page.locator("#conflicts-link")).to_be_hidden()

        admin.ok("PUT", "/api/router/admin/agents/bruno", json={**BRUNO, "role": "admin"})
        expect(page.locator("#who")).to_have_text("Bruno Lima · Administrador(a)")
        expect(page.locator("#conflicts-link")).to_be_visible()

        bruno.expected_errors.append("401 ")  # the refused requests
        admin.ok("PUT", "/api/router/admin/agents/bruno", json={**BRUNO, "active": False})
        expect(page.locator("#notice")).to_have_text(
            "Seu acesso a esta conta foi desativado. Fale com um administrador."
        )
        expect(page.locator("[data-agent=ana]")).to_be_visible()  # the log-in screen
        expect(page.locator("[data-agent=bruno]")).to_have_count(0)  # the picker offers only who may log in
        page.screenshot(path=screenshots / "access-turned-off.png")
    finally:
        admin.ok("PUT", "/api/router/admin/agents/bruno", json=BRUNO)
        bruno.context.close()
    assert bruno.unexpected_errors() == [], bruno.errors
