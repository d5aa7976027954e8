"""``python -m leadline.ingest``: migrate (optional) and serve the ingest service."""

from __future__ import annotations

import sys

from leadline.platform.serve import serve

from .bootstrap import MIGRATIONS, build
from .entrypoints.settings import IngestSettings


def main() -> None:
    settings = IngestSettings()
    serve(build(settings), settings, migrations=MIGRATIONS, argv=sys.argv[1:])


if __name__ == "__main__":
    main()
