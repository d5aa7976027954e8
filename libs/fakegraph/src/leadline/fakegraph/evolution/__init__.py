"""A fake Evolution API (v2) server and its webhook bodies, for leadline's tests and ``make run``.

It ships in the fake Graph API's package because it plays the same part for the other channel and hands out the
same real sample media (``leadline.fakegraph.samples``).
"""
