"""The leads adapters: SQL, Kafka and HTTP clients at the edge."""
