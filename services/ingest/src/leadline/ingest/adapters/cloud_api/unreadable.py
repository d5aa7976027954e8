"""Parts of a delivery that cannot be read are set aside with their path, so the rest of the delivery is kept.

Only a body that is no WhatsApp delivery at all fails as a whole (``MalformedDelivery``): Meta
retries a refused delivery for days, and every other message in it would be lost with it.
Below that, the smallest readable unit that fails is set aside here: an entry, a change, a
``messages``/``statuses``/``message_echoes`` list or one of their elements. A message whose id,
sender and time can be read but whose content cannot is *also* kept as ``unsupported``
(see ``content_kinds.unreadable``), so the conversation shows that the customer wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from leadline.ingest.adapters.cloud_api.reading import MalformedDelivery, at, check


@dataclass(frozen=True)
class UnreadablePart:
    """One part of a delivery set aside: where it is, what is wrong with it, and the part as Meta sent it."""

    path: str
    """The part's place in the body: ``entry[0].changes[1].value.messages[2]``."""
    problem: str
    """What is wrong, naming the exact place: ``entry[0].changes[1].value.messages[2].text.body: missing``."""
    raw: Any


@dataclass
class Unreadable:
    """The parts of one delivery set aside so far, in the order they were met."""

    parts: list[UnreadablePart] = field(default_factory=list)

    def set_aside(self, path: str, raw: Any, problem: MalformedDelivery) -> None:
        self.parts.append(UnreadablePart(path=path, problem=str(problem), raw=raw))

    def objects(self, obj: dict[str, Any], key: str, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """The objects of the optional list ``obj[key]`` with their paths, setting aside what is not an object.

        A list that is not a list is set aside whole (at ``path.key``) and yields nothing.
        """
        if obj.get(key) is None:
            return
        listed_path = at(path, key)
        try:
            listed = check(obj[key], listed_path, list)
        except MalformedDelivery as problem:
            self.set_aside(listed_path, obj[key], problem)
            return
        for index, item in enumerate(listed):
            item_path = at(listed_path, index)
            try:
                check(item, item_path, dict)
            except MalformedDelivery as problem:
                self.set_aside(item_path, item, problem)
                continue
            yield item_path, item
