"""Checks on everything a caller hands to the store, done before any write.

Each check raises :class:`InvalidInputError` with a message naming the value at
fault, so that a refused batch is refused before a transaction starts.
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Mapping
from typing import Any, TypeVar

import genome as genome_pkg
from evolve.store._errors import InvalidInputError

__all__ = [
    "as_genome",
    "choice",
    "full_hash",
    "integer",
    "json_object",
    "prefix",
    "score",
    "text",
]

_INT64 = (-(2**63), 2**63 - 1)
_FULL_HASH = re.compile(r"[0-9a-f]{64}")
_HEX = re.compile(r"[0-9a-f]+")
#: Shortest hash prefix accepted by lookups.
MIN_PREFIX = 4

E = TypeVar("E")


def text(value: Any, what: str, *, optional: bool = False) -> str | None:
    """A non-empty string (or ``None`` when ``optional``) without NUL characters."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be a string, got {type(value).__name__}")
    if not value.strip() and not optional:
        raise InvalidInputError(f"{what} must not be empty")
    if "\x00" in value:
        # PostgreSQL text cannot hold NUL; refuse it on every backend alike.
        raise InvalidInputError(f"{what} must not contain NUL characters")
    return value


def integer(value: Any, what: str, *, minimum: int | None = None) -> int:
    """An ``int`` (not a ``bool``) that fits in 64 bits and is at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{what} must be an integer, got {type(value).__name__}")
    low = _INT64[0] if minimum is None else max(minimum, _INT64[0])
    if not low <= value <= _INT64[1]:
        raise InvalidInputError(f"{what} must be between {low} and {_INT64[1]}, got {value}")
    return value


def score(value: Any, what: str = "score") -> float | None:
    """``None`` or a finite real number, as a ``float``."""
    if value is None:
        return None
    # numbers.Real also admits numpy scalars, which metrics code often hands over.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidInputError(f"{what} must be a number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise InvalidInputError(
            f"{what} must be finite, got {value}; record a non-finite result with status "
            "'diverged' and no score")
    return value


def json_object(value: Any, what: str, *, optional: bool = False) -> dict[str, Any] | None:
    """A JSON object (a mapping with string keys) that serialises without NaN or infinities."""
    if value is None and optional:
        return None
    if not isinstance(value, Mapping):
        raise InvalidInputError(
            f"{what} must be a JSON object (a dict), got {type(value).__name__}")
    value = dict(value)
    bad_keys = [key for key in value if not isinstance(key, str)]
    if bad_keys:
        raise InvalidInputError(f"{what} keys must be strings, got {bad_keys[0]!r}")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(f"{what} is not JSON: {error}") from None
    return value


def choice(value: Any, kind: type[E], what: str) -> E:
    """One of the values of the string enum ``kind``."""
    try:
        return kind(value)  # type: ignore[call-arg]
    except ValueError:
        allowed = ", ".join(repr(v.value) for v in kind)  # type: ignore[attr-defined]
        raise InvalidInputError(f"{what} must be one of {allowed}, got {value!r}") from None


def as_genome(value: Any, what: str) -> genome_pkg.Genome:
    """A :class:`genome.Genome`, or notation text parsed into one (never evaluated)."""
    if isinstance(value, genome_pkg.Genome):
        return value
    if isinstance(value, str):
        try:
            return genome_pkg.parse(value)
        except genome_pkg.GenomeError as error:
            raise InvalidInputError(f"{what} is not a valid genome: {error}") from None
    raise InvalidInputError(
        f"{what} must be a Genome or genome notation, got {type(value).__name__}")


def full_hash(value: Any, what: str) -> str:
    """A full genome hash (64 lowercase hex digits), from a hash or a :class:`genome.Genome`."""
    if isinstance(value, genome_pkg.Genome):
        return value.hash
    if isinstance(value, str):
        candidate = value.strip().lower()
        if _FULL_HASH.fullmatch(candidate):
            return candidate
    raise InvalidInputError(
        f"{what} must be a full genome hash (64 hex digits) or a Genome, got {value!r}")


def prefix(value: str) -> str:
    """A lowercase hex prefix of at least :data:`MIN_PREFIX` digits."""
    candidate = value.strip().lower()
    if not _HEX.fullmatch(candidate) or not MIN_PREFIX <= len(candidate) <= 64:
        # Text is a hash (prefix); an id is an int, which a digit string may have meant.
        hint = (f"; for the genome with id {int(candidate)}, pass the integer"
                if candidate.isdigit() and candidate.isascii() else "")
        raise InvalidInputError(
            f"genome key {value!r} is neither an id nor a hash prefix of "
            f"{MIN_PREFIX} to 64 hex digits{hint}")
    return candidate
