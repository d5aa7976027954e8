"""The live consumer decodes only the event types the projection handles (``HANDLED``): that list and the
projection's ``match`` must name the same payloads, or an event the timeline needs would be skipped undecoded."""

from __future__ import annotations

import ast
import inspect
import textwrap

from leadline.events import router
from leadline.history.service import projection
from leadline.history.service.projection import HANDLED, TimelineProjection


def matched_payload_classes() -> set[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(TimelineProjection.handle)))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.MatchClass) and isinstance(node.cls, ast.Name):
            names.add(node.cls.id)
    return names


def test_the_types_the_consumer_decodes_are_the_ones_the_projection_matches():
    matched = matched_payload_classes()
    assert len(matched) >= 10, matched  # the parse found the cases, not nothing
    assert {getattr(projection, name).EVENT_TYPE for name in matched} == set(HANDLED)


def test_a_type_the_projection_ignores_is_not_handled():
    assert router.ConversationStatusChangedV1.EVENT_TYPE not in HANDLED
