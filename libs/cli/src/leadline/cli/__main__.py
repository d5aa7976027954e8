"""``python -m leadline.cli …`` is ``leadline …`` (the ops image's entry point)."""

from .main import app

app(prog_name="leadline")
