"""leadline leads service: Leads created from conversations by an agent's "Add lead", conversion points, unification and conflicts, lead temperature."""
