"""The router adapters: SQL, Kafka and HTTP clients at the edge."""
