"""How the history service is reached: HTTP and Kafka subscribers."""
