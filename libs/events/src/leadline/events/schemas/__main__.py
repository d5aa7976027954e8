"""``python -m leadline.events.schemas export|check [--dir DIR]``: write or verify the committed schemas."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from leadline.events.schemas import SCHEMA_DIR, BreakingSchemaChange, check, export_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leadline.events.schemas", description=__doc__)
    parser.add_argument("command", choices=("export", "check"))
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR, help="default: %(default)s")
    args = parser.parse_args(argv)
    if args.command == "export":
        try:
            written = export_all(args.dir)
        except BreakingSchemaChange as error:
            print(error, file=sys.stderr)
            return 1
        for path in written:
            print(f"wrote {path}")
        return 0
    problems = check(args.dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
