"""Helpers shared by the CLI commands."""

from __future__ import annotations

import argparse
import json
import shlex
from datetime import UTC, datetime
from pathlib import Path
from string import hexdigits
from typing import TYPE_CHECKING, Any

from genome import Genome, GenomeError, NotationError, parse, seeds

if TYPE_CHECKING:
    from evolve.store import Store

#: How deeply a ``--set`` value or a protocol file may nest lists and objects.
#: A protocol needs three levels; the limit keeps a pasted ``[[[[...`` far from
#: Python's recursion limit, in the JSON decoder and in everything after it.
MAX_JSON_DEPTH = 32

#: Characters of a user's argument echoed in a message: a 12 KB genome is
#: shown by its start, never in full.
ECHO_CHARS = 80


class CliError(Exception):
    """An error to print as one line, with a non-zero exit."""


class UsageError(CliError):
    """The command line itself is wrong (a flag missing, or two that do not go together):
    exit status 2, as for what argparse refuses."""


def check_seed(seed: int | None) -> None:
    """Refuse a ``--seed`` outside what the store keeps (a 64-bit signed integer, >= 0)."""
    if seed is not None and not 0 <= seed < 2**63:
        raise UsageError(f"--seed must be from 0 to 2**63 - 1, got {seed}")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def shown(text: str, limit: int = ECHO_CHARS) -> str:
    """``text`` quoted for a message, cut to about ``limit`` characters (with its length)."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"


# -- databases ----------------------------------------------------------------------------

def open_store(url: str | None, create: bool = True) -> Store:
    """The store at ``url``; read-only commands pass ``create=False`` (no new database)."""
    from evolve.store import SchemaOutOfDate, Store, StoreError

    try:
        return Store(url, create=create)
    except SchemaOutOfDate as error:
        raise CliError(str(error)) from None
    except StoreError as error:
        raise CliError(f"database: {error}") from None


def existing_store(url: str | None) -> Store | None:
    """The store at ``url`` if a database is there already, else None (nothing created)."""
    from evolve.store import NotFoundError, SchemaOutOfDate, Store, StoreError

    try:
        return Store(url, create=False)
    except NotFoundError:
        return None
    except SchemaOutOfDate as error:
        raise CliError(str(error)) from None
    except StoreError as error:
        raise CliError(f"database: {error}") from None


def db_option(url: str | None) -> str:
    """`` --db URL`` for a command the user is told to type, or "" for the default database.

    A hint that leaves out the database the user named would, typed as shown,
    act on ``./evolve.db`` instead (a new campaign there, say). ``$EVOLVE_DB``
    counts as not the default: the hint must work in another shell too.
    Passwords are masked, so such a hint needs the password put back.
    """
    from evolve.store import DEFAULT_URL, StoreError, mask_url, resolve_url

    try:
        resolved = resolve_url(url)
        if resolved == resolve_url(DEFAULT_URL):
            return ""
        text = mask_url(resolved)
    except StoreError:  # never a reason to lose the message the hint belongs to
        text = mask_url(url or "")
    if not text:
        return ""
    # The driver name the store adds (postgresql+psycopg) is not what the user typed.
    text = text.replace("postgresql+psycopg://", "postgresql://", 1)
    return f" --db {shlex.quote(text)}"


def campaign_command(command: str, campaign: str, url: str | None, extra: str = "") -> str:
    """A command line to show in a hint, in backticks: ``evolve run --campaign X --db URL``."""
    return f"`evolve {command} --campaign {shlex.quote(campaign)}{db_option(url)}{extra}`"


def parse_time(text: object) -> datetime | None:
    """A stored ISO 8601 time (UTC when it carries no zone), or None when it is not one."""
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


# -- genomes ------------------------------------------------------------------------------

def is_self_contained(text: str) -> bool:
    """Whether a genome argument needs no database: notation, ``@file`` or a seed name."""
    return "=" in text or text.startswith("@") or text in seeds.names()


def genome_argument(text: str, url: str | None) -> Genome:
    """The genome a command's GENOME argument names, looking a stored key up in ``url``.

    A seed, notation or ``@file`` needs no database. Anything else is a stored
    genome's id, hash or hash prefix, looked up in ``--db`` or else the default
    database, which is only read: a missing one is reported, never created.
    """
    if is_self_contained(text):
        return read_genome(text)
    store = existing_store(url)
    if store is None:
        from evolve.store import mask_url, resolve_url

        raise CliError(f"{shown(text)} is neither a seed ({', '.join(seeds.names())}), genome "
                       f"notation (h' = ...) nor @FILE, and there is no database at "
                       f"{mask_url(resolve_url(url))} to look it up in as a stored genome; "
                       f"give --db URL")
    return read_genome(text, store)


def read_genome(text: str, store: Store | None = None) -> Genome:
    """A genome from notation, ``@file``, a seed name or (with a store) a stored id or hash.

    Every command that takes a genome reads it here, so they all accept the same.
    """
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise CliError(f"cannot read genome file {path}: {error.strerror}") from None
        except UnicodeDecodeError as error:
            raise CliError(f"genome file {path} is not UTF-8 text (byte {error.start} is "
                           f"0x{error.object[error.start]:02x}); save it as UTF-8") from None
        return _parse(text, str(path))
    if "=" in text:
        return _parse(text, "genome text")
    if text in seeds.names():
        return seeds.get(text)
    if store is not None:
        return _stored_genome(text, store)
    raise CliError(f"{shown(text)} is neither a seed ({', '.join(seeds.names())}), genome "
                   f"notation (h' = ...) nor @FILE; for a stored genome's id or hash, give --db")


def _parse(text: str, where: str) -> Genome:
    try:
        return parse(text)
    except NotationError as error:
        raise CliError(f"{where}: {notation_message(error)}") from None
    except GenomeError as error:
        raise CliError(f"{where}: {error}") from None
    except RecursionError:  # the parser's own depth limit should come first; never a traceback
        raise CliError(f"{where}: the expressions nest too deeply to read") from None


def notation_message(error: NotationError, width: int = ECHO_CHARS) -> str:
    """The error's position and reason, then an excerpt of at most ``width`` characters
    around the column with a caret under it (… where the line was cut).

    :class:`NotationError`'s own text shows a long line from its start, or not at all;
    a window around the column shows the place at any length.
    """
    where = ""
    if error.line:
        where = (f"line {error.line}, column {error.column}: " if error.column
                 else f"line {error.line}: ")
    message = where + error.reason
    source, column = error.source, error.column
    if not source or not column:
        return message
    index = min(column - 1, len(source))
    start = 0 if len(source) <= width else max(0, min(index - width // 2, len(source) - width))
    end = min(len(source), start + width)
    excerpt = ("…" if start else "") + source[start:end] + ("…" if end < len(source) else "")
    before = ("…" if start else "") + source[start:index]
    # Tabs stay tabs under the caret, so it lines up however they are shown.
    pad = "".join("\t" if c == "\t" else " " for c in before)
    return f"{message}\n    {excerpt}\n    {pad}^"


def _stored_genome(text: str, store: Any) -> Genome:
    """A stored genome by id, hash or hash prefix."""
    from evolve.store import StoreError

    if not (0 < len(text) <= 64 and all(c in hexdigits for c in text)):
        # Not a key the store could hold; asking it would echo the text whole.
        raise CliError(f"{shown(text)} is neither a seed ({', '.join(seeds.names())}), genome "
                       f"notation (h' = ...), @FILE, nor a stored genome's id (digits) or "
                       f"hash (hex digits)")
    try:
        # Ten digits or more are never an id: ids stay far below that.
        if text.isdigit() and len(text) < 10:
            return _by_digits(text, store)
        return store.genome(text).genome
    except (LookupError, StoreError) as error:
        message = error.args[0] if error.args else str(error)
        raise CliError(f"{shown(text)} is not a seed, and not a stored genome in "
                       f"{store.url}: {message}") from None


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

    ``task.NAME=value`` sets a task parameter; ``task_params`` must be a JSON object.
    """
    result: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--set expects KEY=VALUE, got {shown(pair)}")
        try:
            value = json.loads(raw)
        except RecursionError:
            raise CliError(f"--set {key}: the value nests deeper than {MAX_JSON_DEPTH} "
                           f"levels of lists or objects") from None
        except ValueError:
            value = raw
        if json_depth(value) > MAX_JSON_DEPTH:
            raise CliError(f"--set {key}: the value nests deeper than {MAX_JSON_DEPTH} levels "
                           f"of lists or objects")
        if key == "task_params":
            if not isinstance(value, dict):
                raise CliError(f"--set task_params expects a JSON object such as "
                               f"'{{\"length\": 8}}', got {shown(raw)}; or set one "
                               f"parameter with --set task.NAME=VALUE")
            # Merged with any task.NAME=... before it, so neither silently drops the other.
            result["task_params"] = {**result.get("task_params", {}), **value}
        elif key.startswith("task."):
            result.setdefault("task_params", {})[key[5:]] = value
        else:
            result[key] = value
    return result


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in a JSON value (0 for a number or a string).

    Iterative, so that measuring a pathological value cannot itself overflow the stack.
    """
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth + 1)
            if deepest > MAX_JSON_DEPTH:  # enough to refuse it; no need to walk the rest
                return deepest
            stack.extend((child, depth + 1) for child in item)
    return deepest
