"""The replay guard's rule on a topic's log: a log that no longer starts at offset 0 lost events."""

from __future__ import annotations

from aiokafka import TopicPartition

from leadline.platform.replay_guard import truncated_partitions


def test_topics_whose_logs_start_at_offset_0_raise_no_objection():
    assert (
        truncated_partitions(
            {TopicPartition("leadline.leads.leads", 0): 0, TopicPartition("leadline.leads.leads", 1): 0}
        )
        == []
    )


def test_a_log_starting_above_0_is_named_with_each_truncated_partition_and_where_it_starts():
    objections = truncated_partitions(
        {
            TopicPartition("leadline.router.conversations", 0): 0,
            TopicPartition("leadline.router.conversations", 3): 120,
            TopicPartition("leadline.router.conversations", 1): 7,
            TopicPartition("leadline.leads.leads", 0): 0,
        }
    )

    assert [o.reason for o in objections] == [
        "topic leadline.router.conversations no longer starts at offset 0 (partition 1 starts at 7, "
        "partition 3 starts at 120): it was truncated by retention or recreated, so events the projection was built from are gone"
    ]
    assert not objections[0].unreadable
