"""Helpers shared by the CLI commands."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from genome import Genome, GenomeError, parse, seeds


class CliError(Exception):
    """An error to print as one line, with a non-zero exit."""


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def read_genome(text: str, store=None) -> Genome:
    """A genome from notation, ``@file``, a seed name or (with a store) a stored id or hash.

    Every command that takes a genome reads it here, so they all accept the same.
    """
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text()
        except OSError as error:
            raise CliError(f"cannot read genome file {path}: {error.strerror}") from None
        try:
            return parse(text)
        except GenomeError as error:
            raise CliError(f"{path}: {error}") from None
    if "=" in text:
        try:
            return parse(text)
        except GenomeError as error:
            raise CliError(f"genome text: {error}") from None
    if text in seeds.names():
        return seeds.get(text)
    if store is not None:
        from evolve.store import StoreError

        key: int | str = int(text) if text.isdigit() and len(text) < 10 else text
        try:
            return store.genome(key).genome
        except (KeyError, LookupError, StoreError) as error:
            message = error.args[0] if error.args else str(error)
            raise CliError(f"{text!r} is not a seed, and not a stored genome: {message}") from None
    raise CliError(f"{text!r} is neither a seed ({', '.join(seeds.names())}), genome notation "
                   f"(h' = ...) nor @FILE; for a stored genome's id or hash, give --db")


def parse_assignments(pairs: list[str]) -> dict[str, Any]:
    """``key=value`` pairs; values are JSON where they parse (numbers, lists), else strings.

    ``task.NAME=value`` sets a task parameter.
    """
    result: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise CliError(f"--set expects KEY=VALUE, got {pair!r}")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        if key.startswith("task."):
            result.setdefault("task_params", {})[key[5:]] = value
        else:
            result[key] = value
    return result
