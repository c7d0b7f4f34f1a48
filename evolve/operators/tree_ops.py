"""Operators on one slot's tree, built on DEAP's typed GP operators."""

from __future__ import annotations

import random

from deap import gp

from evolve.operators._context import OperatorContext, OperatorError
from evolve.operators._deap_random import deap_random
from genome import Genome, Slot, primitive_set, random_tree
from genome.primitives import node
from genome.types import Input

__all__ = ["crossover", "mut_insert", "mut_node_replacement", "mut_shrink", "mut_uniform"]


def _pick_slot(genome: Genome, rng: random.Random) -> int:
    live = set(genome.live_slots())
    return rng.choice([i for i, s in enumerate(genome.slots) if s.name in live])


def _with_tree(genome: Genome, index: int, tree: list) -> Genome:
    slot = genome.slots[index]
    return genome.replace(index, Slot(slot.name, slot.kind, tree))


def _pset(genome: Genome, index: int, context: OperatorContext) -> gp.PrimitiveSetTyped:
    return primitive_set(genome.readable(index), context.allow_square_input)


def mut_uniform(genome: Genome, rng: random.Random, context: OperatorContext) -> Genome:
    """Replace a random subtree of one slot by a new random subtree (``gp.mutUniform``)."""
    index = _pick_slot(genome, rng)
    readable = genome.readable(index)
    tree = genome.slots[index].tree

    def expression(pset, type_):
        if type_ is Input:
            return [node("x")]
        height = rng.randint(0, context.subtree_height)
        return random_tree(rng, readable, height, "grow", context.allow_square_input)

    with deap_random(rng):
        gp.mutUniform(tree, expression, _pset(genome, index, context))
    return _with_tree(genome, index, tree)


def mut_node_replacement(genome: Genome, rng: random.Random, context: OperatorContext) -> Genome:
    """Swap one node for another of the same type and arity (``gp.mutNodeReplacement``)."""
    index = _pick_slot(genome, rng)
    tree = genome.slots[index].tree
    if len(tree) < 2:
        raise OperatorError("not-applicable", "a one-node tree has no node to replace")
    with deap_random(rng):
        gp.mutNodeReplacement(tree, _pset(genome, index, context))
    return _with_tree(genome, index, tree)


def mut_insert(genome: Genome, rng: random.Random, context: OperatorContext) -> Genome:
    """Put a new node above a random subtree (``gp.mutInsert``)."""
    index = _pick_slot(genome, rng)
    tree = genome.slots[index].tree
    with deap_random(rng):
        gp.mutInsert(tree, _pset(genome, index, context))
    return _with_tree(genome, index, tree)


def mut_shrink(genome: Genome, rng: random.Random, context: OperatorContext) -> Genome:
    """Replace a random node by one of its own subtrees (``gp.mutShrink``)."""
    index = _pick_slot(genome, rng)
    tree = genome.slots[index].tree
    before = len(tree)
    with deap_random(rng):
        gp.mutShrink(tree)
    if len(tree) == before:
        raise OperatorError("not-applicable", "nothing to shrink")
    return _with_tree(genome, index, tree)


def crossover(genome: Genome, other: Genome, rng: random.Random,
              context: OperatorContext) -> Genome:
    """Swap same-type subtrees between a slot of each parent (``gp.cxOnePoint``).

    The child is the first parent with its slot's tree crossed; a subtree that
    reads a slot the child does not have makes an invalid child, which the
    caller rejects.
    """
    index = _pick_slot(genome, rng)
    other_index = _pick_slot(other, rng)
    tree = genome.slots[index].tree
    donor = other.slots[other_index].tree
    with deap_random(rng):
        gp.cxOnePoint(tree, donor)
    return _with_tree(genome, index, tree)
