"""How the leads service is reached: HTTP and Kafka subscribers."""
