"""Operators that change the slots of a genome: add or remove an intermediate, add a state."""

from __future__ import annotations

import random

from evolve.operators._context import OperatorContext, OperatorError
from genome import Genome, Slot, SlotKind, random_tree
from genome.primitives import node
from genome.types import Hidden

__all__ = ["add_intermediate", "add_state", "remove_intermediate"]


def _fresh(genome: Genome, prefix: str, first_bare: bool = False) -> str:
    used = {s.name for s in genome.slots}
    if first_bare and prefix not in used:
        return prefix
    number = 1 if not first_bare else 2
    while f"{prefix}{number}" in used:
        number += 1
    return f"{prefix}{number}"


def _read_somewhere(slots: list[Slot], reference: str, candidates: list[int],
                    rng: random.Random) -> list[Slot]:
    """Replace a random hidden leaf in one of ``candidates`` by ``reference``."""
    places = [(i, p) for i in candidates for p, item in enumerate(slots[i].nodes)
              if not item.arity and item.ret is Hidden]
    if not places:
        raise OperatorError("not-applicable", "no leaf to read the new slot from")
    index, position = rng.choice(places)
    nodes = list(slots[index].nodes)
    nodes[position] = node(reference)
    slots[index] = Slot(slots[index].name, slots[index].kind, nodes)
    return slots


def add_intermediate(genome: Genome, rng: random.Random, context: OperatorContext) -> Genome:
    """Insert a new intermediate slot with a random tree, read by a random leaf below it."""
    slots = list(genome.slots)
    position = rng.randrange(len(slots))  # before some existing slot, so one can read it
    name = _fresh(genome, "z")
    readable = genome.readable(position)
    height = rng.randint(1, context.subtree_height)
    tree = random_tree(rng, readable, height, "grow", context.allow_square_input)
    slots.insert(position, Slot(name, SlotKind.INTERMEDIATE, tree))
    slots = _read_somewhere(slots, name, list(range(position + 1, len(slots))), rng)
    return Genome(slots)


def remove_intermediate(genome: Genome, rng: random.Random, context: OperatorContext) -> Genome:
    """Delete an intermediate slot, writing its tree in place of every read of it.

    Each former read gets its own copy, and so its own weights.
    """
    choices = [i for i, s in enumerate(genome.slots) if not s.is_state]
    if not choices:
        raise OperatorError("not-applicable", "no intermediate slot to remove")
    index = rng.choice(choices)
    removed = genome.slots[index]
    slots = []
    for slot in genome.slots:
        if slot is removed:
            continue
        nodes: list = []
        for item in slot.nodes:
            nodes.extend(removed.nodes if item.name == removed.name else [item])
        slots.append(Slot(slot.name, slot.kind, nodes))
    return Genome(slots)


def add_state(genome: Genome, rng: random.Random, context: OperatorContext) -> Genome:
    """Add a state slot ``c'`` with a random tree; a random leaf somewhere reads ``c``."""
    name = _fresh(genome, "c", first_bare=True)
    slots = list(genome.slots)
    position = rng.randrange(len(slots) + 1)
    readable = (*genome.states, name, *(s.target for s in slots[:position]))
    height = rng.randint(1, context.subtree_height)
    tree = random_tree(rng, readable, height, "grow", context.allow_square_input)
    slots.insert(position, Slot(name, SlotKind.STATE, tree))
    others = [i for i in range(len(slots)) if i != position]
    slots = _read_somewhere(slots, name, others, rng)
    return Genome(slots)


