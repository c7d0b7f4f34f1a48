"""Helpers shared by the genome tests."""

from __future__ import annotations

import random

from genome import Genome, Slot


def shuffle_operands(genome: Genome, rng: random.Random) -> Genome:
    """Swap the operands of random ``+`` and ``*`` nodes: the same cell, written otherwise."""
    from genome._tree import subtree_end

    slots = []
    for slot in genome.slots:
        nodes = list(slot.nodes)
        for position in range(len(nodes) - 1, -1, -1):
            if nodes[position].name in ("add", "mul") and rng.random() < 0.5:
                first_end = subtree_end(nodes, position + 1)
                second_end = subtree_end(nodes, first_end)
                first = nodes[position + 1 : first_end]
                second = nodes[first_end:second_end]
                nodes[position + 1 : second_end] = second + first
        slots.append(Slot(slot.name, slot.kind, nodes))
    return Genome(slots)


def rename_slots(genome: Genome, mapping: dict[str, str]) -> Genome:
    """Rename slots (and every reference to them)."""

    def rename(name: str) -> str:
        base = name.rstrip("'")
        if base in mapping:
            return mapping[base] + name[len(base):]
        return name

    return Genome(
        Slot(mapping.get(s.name, s.name), s.kind, [rename(n) for n in s.node_names])
        for s in genome.slots
    )
