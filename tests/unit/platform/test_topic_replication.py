"""Which replication topics are created with, from the catalogue and the number of brokers the cluster reports."""

from __future__ import annotations

import pytest

from leadline.events.topics import REPLICATION
from leadline.platform.topic_admin import ReplicationRefused, replication_for

PRODUCTION, SINGLE = REPLICATION["production"], REPLICATION["single-broker"]


def test_the_catalogue_asks_three_copies_two_in_sync_in_production_and_one_on_a_single_broker():
    assert (PRODUCTION.factor, PRODUCTION.min_insync_replicas) == (3, 2)
    assert (SINGLE.factor, SINGLE.min_insync_replicas) == (1, 1)


@pytest.mark.parametrize(("brokers", "expected"), [(1, SINGLE), (3, PRODUCTION), (6, PRODUCTION)])
def test_by_default_a_single_broker_gets_one_copy_and_a_real_cluster_the_production_replication(brokers, expected):
    assert replication_for(brokers) == expected


@pytest.mark.parametrize("brokers", [2, 3, 9])
def test_one_replica_on_a_cluster_of_several_brokers_is_refused_unless_allowed(brokers):
    with pytest.raises(ReplicationRefused, match=f"one replica on a cluster of {brokers} brokers"):
        replication_for(brokers, SINGLE)
    assert replication_for(brokers, SINGLE, allow_single_replica=True) == SINGLE


@pytest.mark.parametrize("brokers", [1, 2])
def test_more_replicas_than_brokers_are_refused_whatever_is_allowed(brokers):
    with pytest.raises(ReplicationRefused, match=f"3 replicas need 3 brokers; the cluster has {brokers}"):
        replication_for(brokers, PRODUCTION, allow_single_replica=True)


def test_two_brokers_cannot_hold_the_default_and_are_told_how_to_accept_one_copy():
    with pytest.raises(ReplicationRefused, match="--replication single-broker --allow-single-replica"):
        replication_for(2)
