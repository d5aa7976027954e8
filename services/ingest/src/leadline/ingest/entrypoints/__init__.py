"""How the ingest service is reached: HTTP and Kafka subscribers."""
