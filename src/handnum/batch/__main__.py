"""`python -m handnum.batch batch|batch-report ...`: the batch subcommands without the rest of the CLI."""
from __future__ import annotations

import argparse
import sys

from ..errors import HandnumError
from .cli import add_parsers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m handnum.batch")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (HandnumError, ValueError) as e:
        print(f"handnum: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
