"""One table of figures, each beside its baseline and target; also written as JSON to var/bench/."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None


def print_table(figures: list[Figure], console: Console) -> None:
    table = Table("figure", "value", "raw baseline (same run)", "ratio", "target", "met")
    for f in figures:
        table.add_row(
            f.name,
            f"{f.value:,.1f} {f.unit}",
            f"{f.baseline:,.1f} {f.unit} ({f.baseline_name})" if f.baseline is not None else "—",
            f"{f.ratio:.0%}" if f.ratio is not None else "—",
            f.target or "—",
            {True: "[green]yes[/green]", False: "[red]no[/red]", None: "—"}[f.met],
        )
    console.print(table)


def write_json(figures: list[Figure], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(
        json.dumps(
            {
                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "machine": platform.node(),
                "figures": [asdict(f) | {"ratio": f.ratio} for f in figures],
            },
            indent=2,
        )
    )
    return path
