"""``python -m leadline.history``: migrate (optional) and serve the history service."""

from __future__ import annotations

import sys

from leadline.platform.serve import serve

from .bootstrap import MIGRATIONS, build
from .entrypoints.settings import HistorySettings


def main() -> None:
    settings = HistorySettings()
    serve(build(settings), settings, migrations=MIGRATIONS, argv=sys.argv[1:])


if __name__ == "__main__":
    main()
