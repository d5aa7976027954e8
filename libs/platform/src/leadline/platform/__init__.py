"""Shared plumbing for leadline's services; no business rules live here."""
