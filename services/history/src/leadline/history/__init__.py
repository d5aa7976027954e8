"""leadline history service: Lead timelines: finished conversations and lead events projected into a timeline that can be rebuilt by replay."""
