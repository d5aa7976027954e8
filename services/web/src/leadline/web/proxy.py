"""``/api/{router,leads,history}/…``: the agent APIs passed through to their services, streamed.

The page talks to one origin, so no CORS. The request goes on with its method, query, body, the agent's
``Authorization`` header and a player's ``Range``; the answer comes back as it is, streamed as it arrives —
which is what lets the router's Server-Sent Events (``/api/router/stream``) reach the browser live and media
files (read through the router, authorized like their conversation) play and seek. The live stream has
no read timeout; everything else has ``UPSTREAM_TIMEOUT_S``. An upstream that does not answer is a 502.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.background import BackgroundTask

from leadline.platform.http import error_body

log = structlog.get_logger(__name__)

# Only what the APIs need travels on; cookies and the browser's other headers stay at the gateway.
FORWARDED_REQUEST_HEADERS = (
    "authorization",
    "content-type",
    "accept",
    "accept-language",
    "last-event-id",
    "range",
    "if-range",
    "x-request-id",
    "traceparent",
    "tracestate",
)
# Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, not the answer.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}


def api_proxy(upstreams: Mapping[str, str], client: httpx.AsyncClient, *, timeout_s: float) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.api_route("/api/{service}/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def forward(service: str, path: str, request: Request):
        base = upstreams.get(service)
        if base is None:
            return JSONResponse(error_body("not_found", f"no API named {service!r}"), status_code=404)
        headers = {name: request.headers[name] for name in FORWARDED_REQUEST_HEADERS if name in request.headers}
        live = "text/event-stream" in request.headers.get("accept", "")
        upstream_request = client.build_request(
            request.method,
            f"{base.rstrip('/')}/{path}",
            params=request.query_params.multi_items(),
            headers=headers,
            content=await request.body(),
            timeout=httpx.Timeout(timeout_s, read=None if live else timeout_s),
        )
        try:
            upstream = await client.send(upstream_request, stream=True)
        except httpx.HTTPError as error:
            log.warning("upstream unavailable", service=service, error=type(error).__name__)
            return JSONResponse(
                error_body("upstream_unavailable", f"the {service} service did not answer; try again"),
                status_code=502,
                headers={"Retry-After": "5"},
            )
        answer_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP | {"x-request-id"}}
        if live:
            answer_headers["x-accel-buffering"] = "no"  # nginx in front must not hold events back
        return StreamingResponse(
            upstream.aiter_raw(),
            status_code=upstream.status_code,
            headers=answer_headers,
            background=BackgroundTask(upstream.aclose),
        )

    return router
