"""The leads service's calls to the router continue the trace of the request that made them (the router runs behind
uvicorn, called over HTTP as in production)."""

from __future__ import annotations

from tests.integration.leads.conftest import new_customer
from tests.tracing import finished_server_span, recorded_spans

CALLER_TRACE = "5b8efff798038103d269b633813fc60c"
CALLER_SPAN = "eee19b7ec3c1b174"


async def test_the_add_lead_form_read_from_the_router_is_one_trace_with_the_agents_request(dealer):
    conversation = await dealer.customer_writes(new_customer())
    with recorded_spans() as spans:
        async with dealer.leads("ana") as leads:
            form = await leads.get(
                f"/conversations/{conversation}/lead-form",
                headers={"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"},
            )
        assert form.status_code == 200, form.text
        at_leads = await finished_server_span(spans, f"/conversations/{conversation}/lead-form")
        at_router = await finished_server_span(spans, f"/conversations/{conversation}")
    assert format(at_leads.context.trace_id, "032x") == format(at_router.context.trace_id, "032x") == CALLER_TRACE
    assert format(at_leads.parent.span_id, "016x") == CALLER_SPAN
    assert at_router.parent.span_id == at_leads.context.span_id
