"""leadline router service: Conversations: team pools, claim-once ownership, statuses, transfer rules and who may see what."""
