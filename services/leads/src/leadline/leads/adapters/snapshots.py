"""A lead's kept state as JSON, and the format that says whether a kept state may still be read.

``FORMAT`` names both this JSON shape and the versions of the leads events it was folded from: a new event
version (and its upcaster) or a new shape here changes it, and every snapshot of another format is ignored and
its stream folded again (then written anew on the lead's next append).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from leadline.platform.event_store import UnreadableSnapshot, snapshot_format

from ..domain.events import AgentRef, ContactDetails, ConversionPoint
from ..domain.lead import LeadState, LeadStatus

SHAPE = 1  # raise on any change to ``state_to_json`` / ``state_from_json``


FORMAT = snapshot_format(SHAPE, "leads.")


def state_to_json(state: LeadState) -> dict[str, Any]:
    return {
        "details": asdict(state.details) if state.details else None,
        "owner": asdict(state.owner) if state.owner else None,
        "team_id": state.team_id,
        "origin_conversation_id": state.origin_conversation_id,
        "conversation_ids": sorted(state.conversation_ids),
        "conversion_points": [asdict(p) | {"at": p.at.isoformat()} for p in state.conversion_points],
        "temperature": state.temperature,
        "status": state.status,
        "merged_into": state.merged_into,
        "open_conflicts": sorted(state.open_conflicts),
    }


def state_from_json(version: int, data: dict[str, Any]) -> LeadState:
    try:
        return LeadState(
            version=version,
            details=ContactDetails(**data["details"]) if data["details"] else None,
            owner=AgentRef(**data["owner"]) if data["owner"] else None,
            team_id=data["team_id"],
            origin_conversation_id=data["origin_conversation_id"],
            conversation_ids=frozenset(data["conversation_ids"]),
            conversion_points=tuple(
                ConversionPoint(**(p | {"at": datetime.fromisoformat(p["at"])})) for p in data["conversion_points"]
            ),
            temperature=data["temperature"],
            status=LeadStatus(data["status"]),
            merged_into=data["merged_into"],
            open_conflicts=frozenset(data["open_conflicts"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise UnreadableSnapshot(str(error)) from error
