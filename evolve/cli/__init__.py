"""The ``evolve`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

__all__ = ["main"]

# TensorFlow's C++ start-up chatter would bury the command's own output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _parser() -> argparse.ArgumentParser:
    from evolve.cli import _db, _eval, _inspect, _run, _seeds

    parser = argparse.ArgumentParser(
        prog="evolve",
        description="Search the space of recurrent cells: evolve, store and inspect genomes.",
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    _run.add_parser(subparsers)
    _inspect.add_parsers(subparsers)
    _seeds.add_parser(subparsers)
    _eval.add_parser(subparsers)
    _db.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``evolve`` command; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    from evolve.cli._common import CliError

    try:
        return handler(args)
    except CliError as error:
        print(f"evolve {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
