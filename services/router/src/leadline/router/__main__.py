"""``python -m leadline.router``: migrate (optional) and serve the router service."""

from __future__ import annotations

import sys

from leadline.platform.serve import serve

from .bootstrap import MIGRATIONS, build
from .entrypoints.settings import RouterSettings


def main() -> None:
    settings = RouterSettings()
    serve(build(settings), settings, migrations=MIGRATIONS, argv=sys.argv[1:])


if __name__ == "__main__":
    main()
