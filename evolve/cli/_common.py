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
        return _stored_genome(text, store)
    raise CliError(f"{text!r} is neither a seed ({', '.join(seeds.names())}), genome notation "
                   f"(h' = ...) nor @FILE; for a stored genome's id or hash, give --db")


def _stored_genome(text: str, store: Any) -> Genome:
    """A stored genome by id, hash or hash prefix."""
    from evolve.store import StoreError

    try:
        # Ten digits or more are never an id: ids stay far below that.
        if text.isdigit() and len(text) < 10:
            return _by_digits(text, store)
        return store.genome(text).genome
    except (LookupError, StoreError) as error:
        message = error.args[0] if error.args else str(error)
        raise CliError(f"{text!r} is not a seed, and not a stored genome: {message}") from None


def _by_digits(text: str, store: Any) -> Genome:
    """Digits alone: an id, or else a hash prefix (``71200372`` can be either)."""
    from evolve.store import AmbiguousKeyError, NotFoundError
    from evolve.store._validate import MIN_PREFIX

    try:
        by_id = store.genome(int(text))
    except NotFoundError:
        if len(text) < MIN_PREFIX:
            raise
        try:
            return store.genome(text).genome
        except AmbiguousKeyError:
            raise
        except NotFoundError:
            raise NotFoundError(f"no genome with id {text}, nor with a hash starting "
                                f"{text}") from None
    if len(text) < MIN_PREFIX:
        return by_id.genome
    try:
        by_hash = store.genome(text)
    except AmbiguousKeyError:
        raise CliError(f"{text!r} is ambiguous: it is the id of genome {by_id.hash[:12]} and "
                       f"a hash prefix of several genomes; give {by_id.hash[:12]} for the "
                       f"first, or more hash digits for one of the others") from None
    except NotFoundError:
        return by_id.genome
    if by_hash.hash == by_id.hash:
        return by_id.genome
    raise CliError(f"{text!r} is ambiguous: it is the id of genome {by_id.hash[:12]} and a "
                   f"hash prefix of genome {by_hash.hash[:12]}; give a longer hash prefix "
                   f"instead: {by_id.hash[:12]} for the first, {by_hash.hash[:12]} for the "
                   f"second")


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
