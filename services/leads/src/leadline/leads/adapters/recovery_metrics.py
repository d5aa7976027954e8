"""Saga recovery's outcomes as a Prometheus counter (``service.recovery.Recovery.settled``)."""

from __future__ import annotations

from prometheus_client import Counter

RECOVERED = Counter("leadline_leads_sagas_recovered_total", "Pending Add lead sagas settled by recovery", ["outcome"])


def count_settled_saga(outcome: str) -> None:
    RECOVERED.labels(outcome).inc()
