"""``python -m leadline.leads``: migrate (optional) and serve the leads service."""

from __future__ import annotations

import sys

from leadline.platform.serve import serve

from .bootstrap import MIGRATIONS, build
from .entrypoints.settings import LeadsSettings


def main() -> None:
    settings = LeadsSettings()
    serve(build(settings), settings, migrations=MIGRATIONS, argv=sys.argv[1:])


if __name__ == "__main__":
    main()
