"""HTTP: which of the account's WhatsApp Web (Evolution) numbers are not connected, for its administrators' notice.

- ``GET /admin/number-connections``: ``{"items": [{phone_number_id, name, display_number, state, since}]}``, the
  numbers whose session is not open (``close``: logged out, a new QR code must be read; ``connecting``: one waits).
  Administrators only (``403 admin_only``), as the rest of ``/admin``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from leadline.platform.access import Access
from leadline.platform.auth import AgentIdentity
from leadline.platform.http import ApiError

from ..adapters.number_connections import numbers_not_connected


def connections_api(*, sessions, access: Access) -> APIRouter:
    router = APIRouter(prefix="/admin", tags=["account administration"])

    async def administrator(agent: AgentIdentity = Depends(access)) -> AgentIdentity:
        if not agent.is_admin:
            raise ApiError(403, "admin_only", "only an administrator may see the numbers' connections")
        return agent

    @router.get("/number-connections")
    async def number_connections(admin: AgentIdentity = Depends(administrator)) -> dict[str, Any]:
        """The account's numbers that cannot send or receive until someone reads a QR code in Evolution."""
        async with sessions() as session:
            return {"items": await numbers_not_connected(session, admin.account_id)}

    return router
