"""The pool's waits as Prometheus metrics (the ``PoolWaitMetrics`` port of ``service.pool_wait``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

WAITING = Gauge("leadline_router_pool_waiting_conversations", "Conversations waiting unclaimed in a pool")
OLDEST_WAIT = Gauge("leadline_router_pool_oldest_wait_seconds", "How long the oldest unclaimed conversation has waited")
ALERTS = Counter("leadline_router_pool_wait_alerts_total", "Conversations that waited past the account's threshold")


class PrometheusPoolWaits:
    def waiting(self, conversations: int, oldest_s: float) -> None:
        WAITING.set(conversations)
        OLDEST_WAIT.set(oldest_s)

    def alerted(self) -> None:
        ALERTS.inc()
