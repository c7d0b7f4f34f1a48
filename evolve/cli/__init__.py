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
    from evolve.cli import _db, _eval, _inspect, _report, _run, _seeds

    parser = argparse.ArgumentParser(
        prog="evolve",
        description="Search the space of recurrent cells: evolve, store and inspect genomes.",
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    _run.add_parser(subparsers)
    _inspect.add_parsers(subparsers)
    _seeds.add_parser(subparsers)
    _eval.add_parser(subparsers)
    _report.add_parser(subparsers)
    _db.add_parser(subparsers)
    _remember_subparsers(parser)
    return parser


def _remember_subparsers(parser: argparse.ArgumentParser) -> None:
    """Let each subcommand's namespace know its own parser (for its usage in errors)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                child.set_defaults(subparser=child)
                _remember_subparsers(child)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``evolve`` command; returns the exit status.

    0: success; 1: the command failed (a one-line message says why); 2: the
    command line itself is wrong (usage); 130: interrupted.
    """
    try:
        return _main(argv)
    except KeyboardInterrupt:  # also while the libraries load, before any command runs
        print("interrupted", file=sys.stderr)
        return 130


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    if extra:  # report unknown options against the subcommand, with its usage
        getattr(args, "subparser", parser).error(f"unrecognized arguments: {' '.join(extra)}")
    from evolve.cli._common import CliError, UsageError
    from evolve.store import StoreError

    try:
        return handler(args)
    except BrokenPipeError:  # an OSError: before that clause. `evolve show X | head -1`
        _silence_stdout()
        return 0
    except (CliError, StoreError, OSError, ValueError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"evolve {args.command}: {message}", file=sys.stderr)
        return 2 if isinstance(error, UsageError) else 1


def _silence_stdout() -> None:
    """Point stdout at /dev/null: the reader is gone, and flushing at exit would fail again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (tests, embedding)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
