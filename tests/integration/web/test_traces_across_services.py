"""One trace across the services a page request crosses over HTTP: the browser's context continues in the web
gateway, the router behind it and ingest behind the router — one trace id, each server span the child of its caller's.
The services are real (uvicorn on free ports, the session's broker and database); they share this process's tracer."""

from __future__ import annotations

import httpx

from tests.integration.router.conftest import (  # noqa: F401 - fixtures
    dealer,
    ingest_for_router,
    media_store,
    new_customer,
    router,
)
from tests.integration.router.test_live_stream import token_for
from tests.integration.web.test_gateway import gateway, serving
from tests.tracing import finished_server_span, recorded_spans

BROWSER_TRACE = "0af7651916cd43dd8448eb211c80319c"
BROWSER_SPAN = "b7ad6b7169203331"


async def test_a_page_request_is_one_trace_through_the_gateway_the_router_and_ingest(router, dealer, tmp_path):  # noqa: F811
    await router.ingest.knows_number(dealer.shared, dealer.account_id)
    conversation = await dealer.open_conversation(new_customer())
    headers = {
        "Authorization": f"Bearer {token_for(dealer, 'ana')}",
        "traceparent": f"00-{BROWSER_TRACE}-{BROWSER_SPAN}-01",
    }
    with recorded_spans() as spans:
        async with serving(router.app) as router_url, gateway(tmp_path, router_url=router_url) as web:
            async with httpx.AsyncClient(base_url=web) as client:
                answer = await client.get(f"/api/router/conversations/{conversation}/templates", headers=headers)
            assert answer.status_code == 200, answer.text
            assert answer.json()["items"], "the router read the templates from ingest"
            at_gateway = await finished_server_span(spans, f"/api/router/conversations/{conversation}/templates")
            at_router = await finished_server_span(spans, f"/conversations/{conversation}/templates")
            at_ingest = await finished_server_span(spans, "/templates")
    assert {format(s.context.trace_id, "032x") for s in (at_gateway, at_router, at_ingest)} == {BROWSER_TRACE}
    assert format(at_gateway.parent.span_id, "016x") == BROWSER_SPAN
    assert at_router.parent.span_id == at_gateway.context.span_id, "the gateway continued the trace, not just passed it"
    assert at_ingest.parent.span_id == at_router.context.span_id
