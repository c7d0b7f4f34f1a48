"""Variation operators on genomes, built on DEAP's typed GP operators.

Every operator is a plain function ``op(genome, rng, context) -> Genome``
(crossover takes two genomes) registered on a DEAP toolbox by
:func:`make_toolbox`; :func:`vary` picks one by weight and returns only
valid children, counting why the others were rejected.
"""

from evolve.operators._context import OperatorContext, OperatorError
from evolve.operators.slot_ops import add_intermediate, add_state, remove_intermediate
from evolve.operators.toolbox import DEFAULT_WEIGHTS, Offspring, make_toolbox, vary
from evolve.operators.tree_ops import (
    crossover,
    mut_insert,
    mut_node_replacement,
    mut_shrink,
    mut_uniform,
)

__all__ = [
    "DEFAULT_WEIGHTS",
    "Offspring",
    "OperatorContext",
    "OperatorError",
    "add_intermediate",
    "add_state",
    "crossover",
    "make_toolbox",
    "mut_insert",
    "mut_node_replacement",
    "mut_shrink",
    "mut_uniform",
    "remove_intermediate",
    "vary",
]
