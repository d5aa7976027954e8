"""CPU and memory of the stack's processes, measured from outside (psutil): what `top` would show."""

from __future__ import annotations

import time
from dataclasses import dataclass

import psutil


def _tree(pid: int) -> list[psutil.Process]:
    """The process and its descendants (PostgreSQL's backends; a service's own children, if any)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process and its descendants, so far."""
    total = 0.0
    for process in _tree(pid):
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def rss_mb(pid: int) -> float:
    try:
        return psutil.Process(pid).memory_info().rss / 2**20
    except psutil.NoSuchProcess:
        return 0.0


@dataclass
class CpuWindow:
    """CPU share of one core per process over a window: ``start()``, then ``shares()`` when it ends."""

    pids: dict[str, int]
    _cpu: dict[str, float] | None = None
    _at: float = 0.0

    def start(self) -> CpuWindow:
        self._cpu = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self._at = time.monotonic()
        return self

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self._at

    def shares(self) -> dict[str, float]:
        """Percent of one core each process used since ``start``."""
        assert self._cpu is not None, "start the window first"
        elapsed = self.elapsed_s
        return {name: 100 * (cpu_seconds(pid) - self._cpu[name]) / elapsed for name, pid in self.pids.items()}


def idle_cpu(pids: dict[str, int], seconds: float) -> dict[str, float]:
    """Percent of one core each process uses over ``seconds`` of doing nothing asked of it."""
    window = CpuWindow(pids).start()
    time.sleep(seconds)
    return window.shares()
