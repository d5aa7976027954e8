"""docs/scaling.md states the catalogue's partitions and names only metrics that exist."""

from __future__ import annotations

import re

from leadline.events.topics import TOPICS
from tests.deploy.manifests import REPO

DOC = (REPO / "docs" / "scaling.md").read_text()


def test_the_partition_table_is_the_catalogues() -> None:
    rows = dict(re.findall(r"^\| `([a-z.]+)` \| (\d+) \|", DOC, flags=re.MULTILINE))
    assert {name: int(count) for name, count in rows.items()} == {name: s.partitions for name, s in TOPICS.items()}


def test_every_leadline_metric_named_is_defined_in_the_code() -> None:
    sources = "".join(path.read_text() for folder in ("libs", "services") for path in (REPO / folder).rglob("*.py"))
    defined = set(re.findall(r'(?:Counter|Gauge|Histogram)\(\s*"(leadline_[a-z_]+)"', sources))
    named = {m.removesuffix("_total") for m in re.findall(r"`(leadline_[a-z_]+)", DOC)}
    assert named and named <= {m.removesuffix("_total") for m in defined}
