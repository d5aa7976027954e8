"""Evolution API (v2) adapter: its REST client, its API keys and the reading of its webhooks."""
