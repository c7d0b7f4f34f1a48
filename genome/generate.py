"""Random genomes: typed tree generation that never runs out of nodes of a type.

DEAP's ``genFull``/``genGrow`` raise ``IndexError`` when a position's type has
no primitive (here: ``Input``, whose only node is the terminal ``x``). This
generator closes an ``Input`` position with ``x`` at any depth and only picks
primitives that can still reach the requested height.
"""

from __future__ import annotations

import random
from typing import Literal

from genome.core import OUTPUT, Genome, Slot, SlotKind
from genome.primitives import hidden_primitives, slot_terminals
from genome.types import Hidden, Input

__all__ = ["random_genome", "random_tree"]

Method = Literal["full", "grow"]


def random_tree(rng: random.Random, readable: tuple[str, ...], height: int,
                method: Method = "grow", allow_square_input: bool = False,
                min_height: int = 0) -> list:
    """A random typed tree returning a hidden vector.

    Args:
        rng: source of randomness (the caller's, for reproducibility).
        readable: reference names the tree may read.
        height: with ``full``, every branch that can reach this depth does;
            with ``grow``, the maximum height.
        method: ``"full"`` or ``"grow"`` (as in Koza's ramped half-and-half).
        allow_square_input: whether ``x`` may be read as a hidden vector.
        min_height: with ``grow``, branches stop no earlier than this depth
            where a primitive can continue them.

    Returns:
        DEAP nodes in prefix order; a complete, well-typed tree of height at
        most ``height``.

    Example:
        >>> tree = random_tree(random.Random(0), ("h",), 3, "full")
        >>> from genome._tree import height
        >>> height(tree)
        3
    """
    if height < 0:
        raise ValueError(f"height must be >= 0, got {height}")
    primitives = hidden_primitives(allow_square_input)
    # Primitives that keep a branch growing: they have a hidden argument.
    deep = [p for p in primitives if Hidden in p.args]
    # Primitives whose children are all inputs: they end a branch one level down.
    closing = [p for p in primitives if Hidden not in p.args]
    terminals = slot_terminals(readable)
    from genome.primitives import node

    x = node("x")
    nodes: list = []
    pending: list[tuple[int, type]] = [(0, Hidden)]
    while pending:
        depth, wanted = pending.pop()
        if wanted is Input:
            nodes.append(x)
            continue
        if depth >= height:
            choices = terminals
        elif method == "full":
            choices = deep if depth < height - 1 else deep + closing
        elif depth < min_height:
            choices = deep
        else:
            choices = primitives + terminals
        chosen = rng.choice(choices)
        nodes.append(chosen)
        for argument in reversed(chosen.args if chosen.arity else ()):
            pending.append((depth + 1, argument))
    return nodes


def random_genome(rng: random.Random, height: int = 4, method: Method = "grow",
                  intermediates: int = 0, extra_states: int = 0,
                  allow_square_input: bool = False) -> Genome:
    """A random valid genome.

    Slots are generated in order (extra states ``c``, ``c2``... first, then
    intermediates ``z1``, ``z2``..., then ``h'``), each reading what its
    position allows. Slots that end up unread are dropped, so the result
    always validates against limits at least as large as its own size.

    Args:
        rng: source of randomness.
        height: tree height (see :func:`random_tree`), 0 to 8 in practice.
        method: ``"full"`` or ``"grow"``.
        intermediates: intermediate slots to generate before ``h'``.
        extra_states: state slots besides ``h``.
        allow_square_input: whether ``x`` may be read as a hidden vector.

    Returns:
        The genome, without dead slots.

    Example:
        >>> random_genome(random.Random(1), height=2).states
        ('h',)
    """
    states = [OUTPUT] + [("c" if i == 0 else f"c{i + 1}") for i in range(extra_states)]
    order = [(name, SlotKind.STATE) for name in states[1:]]
    order += [(f"z{i + 1}", SlotKind.INTERMEDIATE) for i in range(intermediates)]
    order.append((OUTPUT, SlotKind.STATE))
    slots = []
    above: list[str] = []
    for name, kind in order:
        readable = tuple(states) + tuple(above)
        tree = random_tree(rng, readable, height, method, allow_square_input)
        slots.append(Slot(name, kind, tree))
        above.append(name + "'" if kind is SlotKind.STATE else name)
    return Genome(slots).without_dead_slots()
