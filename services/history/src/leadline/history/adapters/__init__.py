"""The history adapters: SQL, Kafka and HTTP clients at the edge."""
