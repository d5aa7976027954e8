"""The router domain: pure rules, no I/O (standard library only)."""
