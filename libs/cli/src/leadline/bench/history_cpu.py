"""``python -m leadline.bench.history_cpu``: what a history replay costs per event, in CPU time, beside raw consume.

The machine is shared, so wall time says little: this publishes the history benchmark's conversations once on a
broker and database of its own, then alternates a raw consume of the topics and a rebuild into a fresh database
``--runs`` times, and prints per run the events/s and the CPU microseconds per event of this process (and of the
replay's worker processes, when it has any) and of PostgreSQL. Medians last. Not part of ``make test``.

    nice -n 10 .venv/bin/python -m leadline.bench.history_cpu --conversations 3000 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from .history import _publish, _raw_consume_rate, _replay_rate
from .infra import bench_infra


@dataclass(frozen=True)
class Cost:
    events: int
    rate: float
    python_us: float
    """This process and its children (a parallel replay's workers), per event."""
    postgres_us: float

    def line(self, name: str) -> str:
        return (
            f"{name:<8} {self.events:>8,} events  {self.rate:>9,.0f} events/s  "
            f"python {self.python_us:6.1f} µs/event  postgres {self.postgres_us:6.1f} µs/event"
        )


def _cpu(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        # a server reaps its backends: what they spent is in its children's times
        total += times.user + times.system + times.children_user + times.children_system
    return total


def _postgres(var_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or ())
        if "postgres" in cmdline and str(var_dir) in cmdline:
            found.append(process)  # the server: its live backends are added below, the ended ones are in its times
            found.extend(process.children(recursive=True))
    return found


def _measured(run: Callable[[], Awaitable[tuple[int, float]]], var_dir: Path) -> Cost:
    postgres = _postgres(var_dir)
    before_pg, before_children = _cpu(postgres), time.process_time()
    own = psutil.Process()
    children_before = own.cpu_times().children_user + own.cpu_times().children_system
    events, rate = asyncio.run(run())
    times = own.cpu_times()
    python = time.process_time() - before_children + (times.children_user + times.children_system - children_before)
    postgres_spent = _cpu(_postgres(var_dir)) - before_pg
    return Cost(events, rate, python / events * 1e6, max(postgres_spent, 0.0) / events * 1e6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=3000, help="20 events each")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--var", type=Path, default=Path("var/bench/history-cpu").absolute())
    args = parser.parse_args()
    with bench_infra(args.var / time.strftime("%Y%m%d-%H%M%S")) as infra:
        published = asyncio.run(_publish(infra.kafka, args.conversations))
        print(f"published {published:,} events", flush=True)
        raws, replays = [], []
        for _ in range(args.runs):
            raws.append(_measured(lambda: _raw_consume_rate(infra.kafka, published), infra.var_dir))
            print(raws[-1].line("raw"), flush=True)
            replays.append(_measured(lambda: _replay_rate(infra), infra.var_dir))
            print(replays[-1].line("replay"), flush=True)
        raw_rate = statistics.median(c.rate for c in raws)
        replay_rate = statistics.median(c.rate for c in replays)
        print(
            f"median: replay {replay_rate:,.0f} events/s = {replay_rate / raw_rate:.0%} of raw {raw_rate:,.0f}; "
            f"replay python {statistics.median(c.python_us for c in replays):.1f} µs/event, "
            f"postgres {statistics.median(c.postgres_us for c in replays):.1f} µs/event"
        )


if __name__ == "__main__":
    main()
