"""Evolution instances' API keys, one file per secret name (a Kubernetes Secret mounted as a directory)."""

from __future__ import annotations

import re
from pathlib import Path

_SECRET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$")


class EvolutionApiKeys:
    """Reads ``<directory>/<secret name>`` when a key is needed, so a rotated key takes effect without a restart.

    Invariant: a key is only ever returned to be sent to its instance or compared with a webhook's; it is never logged.
    """

    def __init__(self, directory: str | Path) -> None:
        self._directory = Path(directory)

    def key(self, secret_name: str) -> str | None:
        """The instance's API key; None when the secret is not there (or the name is no file name at all)."""
        if not _SECRET_NAME.match(secret_name):
            return None
        try:
            return (self._directory / secret_name).read_text(encoding="utf-8").strip() or None
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
