"""`make bench`: each leadline figure beside a raw baseline measured in the same run, as a ratio."""
