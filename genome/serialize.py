"""The JSON form of a genome, for storage: slots with their trees in prefix order."""

from __future__ import annotations

import json
from typing import Any

from genome.core import Genome, Slot, SlotKind
from genome.errors import GenomeError
from genome.primitives import node

__all__ = ["FORMAT", "from_json", "to_json"]

#: Value of the ``format`` key, so a stored document says what it is.
FORMAT = "rnn-genome/1"


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
        GenomeError: naming the first key or node at fault.
    """
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as error:
            raise GenomeError(f"genome JSON does not parse: {error}") from None
    if not isinstance(data, dict):
        raise GenomeError(f"genome JSON must be an object, got {type(data).__name__}")
    if data.get("format") != FORMAT:
        raise GenomeError(f"genome JSON has format {data.get('format')!r}, expected {FORMAT!r}")
    raw_slots = data.get("slots")
    if not isinstance(raw_slots, list) or not raw_slots:
        raise GenomeError("genome JSON needs a non-empty list 'slots'")
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
        nodes = []
        for index, item in enumerate(tree):
            try:
                nodes.append(node(item))
            except GenomeError as error:
                raise GenomeError(f"{where}.tree[{index}]: {error}") from None
        slots.append(Slot(name, kind, nodes))
    return Genome(slots)
