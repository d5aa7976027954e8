"""The whole-system bench's figures from what it measured (the bench itself is not a test: nothing here is timed)."""

from __future__ import annotations

import math

import pytest

from leadline.bench.load import LoadResult
from leadline.bench.pool_latency import Phase, webhooks
from leadline.bench.system import idle_figures, rate_figures


def figure(figures, name):
    (found,) = [f for f in figures if f.name.startswith(name)]
    return found


def test_the_idle_target_counts_every_service_and_the_broker_but_not_postgresql():
    shares = {"ingest": 1.0, "router": 1.0, "leads": 1.0, "history": 1.0, "web": 0.5, "kafka": 0.4, "postgres": 9.0}
    total = figure(idle_figures(shares, 30), "idle CPU, services + broker")
    assert total.value == pytest.approx(4.9) and total.met
    assert not figure(idle_figures({**shares, "kafka": 0.6}, 30), "idle CPU, services + broker").met


def test_unseen_messages_miss_the_latency_target_whatever_the_latencies_of_those_seen():
    answers = LoadResult(requests=3, errors=0, seconds=1, latencies_ms=(1.0, 1.0, 1.0))
    phase = Phase(rate=3, seconds=1, latencies_ms=(10.0, 20.0), unseen=1, answers=answers)
    figures = rate_figures(phase, [5.0, 6.0], {"ingest": 50.0}, 2.0, {}, top=False)
    p99 = figure(figures, "webhook → pool p99")
    assert p99.value == 20.0 and not p99.met and "1 unseen" in p99.target
    assert figure(figures, "CPU per message").value == 500.0  # half a core for 2 s over 2 messages


def test_a_rate_where_nothing_became_visible_reports_no_cost_per_message_rather_than_a_wrong_one():
    answers = LoadResult(requests=2, errors=2, seconds=1, latencies_ms=(1.0, 1.0))
    phase = Phase(rate=2, seconds=1, latencies_ms=(), unseen=2, answers=answers)
    figures = rate_figures(phase, [5.0], {"ingest": 50.0}, 2.0, {}, top=False)
    assert math.isnan(figure(figures, "CPU per message").value)


def test_every_benchmark_message_has_a_wamid_of_its_own_and_customers_write_again():
    requests, wamids = webhooks("secret", label="t", total=2_500)
    assert len(set(wamids)) == 2_500
    assert requests[0][1].count(b"5511970000000") == requests[1_000][1].count(b"5511970000000") > 0
