"""The JSON form of a genome, for storage: slots with their trees in prefix order."""

from __future__ import annotations

import json
from typing import Any

from genome.core import _HARD_TOTAL_NODES, HARD_LIMITS, Genome, Slot, SlotKind
from genome.errors import GenomeError
from genome.primitives import node

__all__ = ["FORMAT", "MAX_JSON_LENGTH", "from_json", "to_json"]

#: Value of the ``format`` key, so a stored document says what it is.
FORMAT = "rnn-genome/1"
#: Longest JSON text accepted, in characters (or bytes). A genome at the hard
#: size limit takes under a megabyte (at most ~40 characters per node).
MAX_JSON_LENGTH = 2_000_000


def to_json(genome: Genome) -> dict[str, Any]:
    """A JSON-ready dict of ``genome``.

    Example:
        >>> from genome import parse
        >>> to_json(parse("h' = tanh(W x)"))["slots"]
        [{'name': 'h', 'kind': 'state', 'tree': ['tanh', 'W', 'x']}]
    """
    return {
        "format": FORMAT,
        "slots": [
            {"name": s.name, "kind": s.kind.value, "tree": list(s.node_names)}
            for s in genome.slots
        ],
    }


def from_json(data: str | bytes | dict[str, Any]) -> Genome:
    """Read a genome from :func:`to_json`'s form (a dict or its JSON text).

    Nothing is evaluated: every node name is looked up in the vocabulary.

    Raises:
        GenomeError: naming the first key or node at fault, or for text that is
            too long, nested too deeply or no JSON.
    """
    if isinstance(data, str | bytes):
        if len(data) > MAX_JSON_LENGTH:
            raise GenomeError(f"genome JSON is {len(data):,} characters long; the limit is "
                              f"{MAX_JSON_LENGTH:,}")
        try:
            data = json.loads(data)
        except RecursionError:
            # The decoder recurses once per nested array or object; a genome nests three.
            raise GenomeError("genome JSON is nested too deeply: a genome document is an "
                              "object holding 'slots', a list of objects with a 'tree' "
                              "list") from None
        except ValueError as error:
            raise GenomeError(f"genome JSON does not parse: {error}") from None
    if not isinstance(data, dict):
        raise GenomeError(f"genome JSON must be an object, got {type(data).__name__}")
    if data.get("format") != FORMAT:
        raise GenomeError(f"genome JSON has format {data.get('format')!r}, expected {FORMAT!r}")
    raw_slots = data.get("slots")
    if not isinstance(raw_slots, list) or not raw_slots:
        raise GenomeError("genome JSON needs a non-empty list 'slots'")
    # Checked before any node is read, so a huge document costs no more than a small one.
    if len(raw_slots) > HARD_LIMITS.max_slots:
        raise GenomeError(f"genome JSON has {len(raw_slots):,} slots; at most "
                          f"{HARD_LIMITS.max_slots} are allowed")
    total = 0
    slots = []
    for position, raw in enumerate(raw_slots):
        where = f"slots[{position}]"
        if not isinstance(raw, dict):
            raise GenomeError(f"{where} must be an object")
        name, kind, tree = raw.get("name"), raw.get("kind"), raw.get("tree")
        if not isinstance(name, str):
            raise GenomeError(f"{where}.name must be a string")
        if kind not in {k.value for k in SlotKind}:
            raise GenomeError(f"{where}.kind must be 'state' or 'intermediate', got {kind!r}")
        if not isinstance(tree, list) or not tree:
            raise GenomeError(f"{where}.tree must be a non-empty list of node names")
        total += len(tree)
        if total > _HARD_TOTAL_NODES:
            raise GenomeError(f"{where}.tree: over {_HARD_TOTAL_NODES:,} nodes in all; the "
                              f"hard limit is {_HARD_TOTAL_NODES:,}")
        nodes = []
        for index, item in enumerate(tree):
            try:
                nodes.append(node(item))
            except GenomeError as error:
                raise GenomeError(f"{where}.tree[{index}]: {error}") from None
        slots.append(Slot(name, kind, nodes))
    return Genome(slots)
