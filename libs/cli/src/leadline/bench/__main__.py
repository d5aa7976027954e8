"""``python -m leadline.bench [names…]``: run the benchmarks and print one table (JSON in var/bench/)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from rich.console import Console

from . import conversation_length, history, ingest, router
from .infra import bench_infra
from .report import print_table, write_json

BENCHMARKS = {
    "ingest": ingest.run,
    "router": router.run,
    "conversation_length": conversation_length.run,
    "history": history.run,
}
DEFAULT = tuple(BENCHMARKS)


def main(argv: list[str]) -> int:
    console = Console()
    wanted = argv or list(DEFAULT)
    unknown = [name for name in wanted if name not in BENCHMARKS]
    if unknown:
        console.print(f"[red]unknown benchmark(s):[/red] {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    var_dir = Path("var/bench").absolute()
    run_dir = var_dir / f"run-{time.strftime('%Y%m%d-%H%M%S')}"
    figures = []
    started = time.monotonic()
    for name in wanted:
        # each benchmark on a broker and database of its own: the router's ingest must not first work through the
        # ingest benchmark's events left on the topics (its warm-up then missed its deadline)
        with bench_infra(run_dir / name) as infra:
            console.print(f"running {name}…")
            figures.extend(BENCHMARKS[name](infra))
    print_table(figures, console)
    console.print(f"written {write_json(figures, var_dir)} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
