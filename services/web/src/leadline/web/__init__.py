"""leadline's agent inbox in a browser: a thin gateway in front of router, leads and history."""
