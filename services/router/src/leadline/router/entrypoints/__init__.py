"""How the router service is reached: HTTP and Kafka subscribers."""
