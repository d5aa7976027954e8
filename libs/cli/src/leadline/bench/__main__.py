"""``python -m leadline.bench [--quick] [names…]``: run the benchmarks and print one table (JSON in var/bench/).

``system`` runs on the whole stack as ``make run`` starts it; ``ingest`` and ``history`` each on a broker and database
of their own (``--quick``: the system benchmark's short plan, a few seconds per rate)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from rich.console import Console

from . import claims, conversation_length, history, ingest, system
from .infra import bench_infra
from .report import print_table, write_json

ON_THEIR_OWN = {"ingest": ingest.run, "history": history.run, "claims": claims.run}
ON_THE_STACK = {"system": system.run, "conversation_length": conversation_length.run}
DEFAULT = ("ingest", "system", "conversation_length", "history")


def main(argv: list[str]) -> int:
    console = Console()
    quick = "--quick" in argv
    wanted = [name for name in argv if name != "--quick"] or list(DEFAULT)
    unknown = [name for name in wanted if name not in ON_THEIR_OWN and name not in ON_THE_STACK]
    if unknown:
        known = ", ".join([*ON_THEIR_OWN, *ON_THE_STACK])
        console.print(f"[red]unknown benchmark(s):[/red] {', '.join(unknown)}; known: {known}")
        return 2
    var_dir = Path("var/bench").absolute()
    run_dir = var_dir / f"run-{time.strftime('%Y%m%d-%H%M%S')}"
    figures = []
    started = time.monotonic()
    for name in wanted:
        console.print(f"running {name}…")
        if name in ON_THE_STACK:
            figures.extend(ON_THE_STACK[name](run_dir / name, quick=quick))
            continue
        # each benchmark on a broker and database of its own: one must not first work through another's events
        with bench_infra(run_dir / name) as infra:
            figures.extend(ON_THEIR_OWN[name](infra))
    print_table(figures, console)
    console.print(f"written {write_json(figures, var_dir)} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
