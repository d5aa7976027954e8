"""The ingest adapters: SQL, Kafka and HTTP clients at the edge."""
