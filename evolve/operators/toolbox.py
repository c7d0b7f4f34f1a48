"""The operator toolbox: DEAP-style registered operators and the variation loop."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from deap import base

from evolve.operators._context import OperatorContext, OperatorError
from evolve.operators.slot_ops import add_intermediate, add_state, remove_intermediate
from evolve.operators.tree_ops import (
    crossover,
    mut_insert,
    mut_node_replacement,
    mut_shrink,
    mut_uniform,
)
from genome import Genome, GenomeError

__all__ = ["DEFAULT_WEIGHTS", "Offspring", "make_toolbox", "vary"]

#: How often each operator is picked, relative to the others.
DEFAULT_WEIGHTS = {
    "mut_uniform": 3.0,
    "mut_node_replacement": 3.0,
    "mut_insert": 1.0,
    "mut_shrink": 1.0,
    "crossover": 1.0,
    "add_intermediate": 1.0,
    "remove_intermediate": 0.5,
    "add_state": 0.5,
}
_OPERATORS = {
    "mut_uniform": mut_uniform,
    "mut_node_replacement": mut_node_replacement,
    "mut_insert": mut_insert,
    "mut_shrink": mut_shrink,
    "crossover": crossover,
    "add_intermediate": add_intermediate,
    "remove_intermediate": remove_intermediate,
    "add_state": add_state,
}


def make_toolbox(context: OperatorContext | None = None,
                 weights: dict[str, float] | None = None) -> base.Toolbox:
    """A DEAP toolbox with every operator registered under its name, bound to ``context``.

    ``toolbox.weights`` holds the operator weights; ``toolbox.context`` the context.

    Raises:
        ValueError: for an unknown operator name or a negative weight.
    """
    context = context or OperatorContext()
    weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
    unknown = sorted(set(weights) - set(_OPERATORS))
    if unknown:
        raise ValueError(f"unknown operator(s) {', '.join(unknown)}; the operators are "
                         f"{', '.join(_OPERATORS)}")
    if any(w < 0 for w in weights.values()) or not any(w > 0 for w in weights.values()):
        raise ValueError("operator weights must be >= 0 with at least one positive")
    toolbox = base.Toolbox()
    for name, function in _OPERATORS.items():
        toolbox.register(name, function, context=context)
    toolbox.weights = weights
    toolbox.context = context
    return toolbox


@dataclass(frozen=True)
class Offspring:
    """A valid child, the operator that made it and its parents (hashes)."""

    genome: Genome
    operator: str
    parents: tuple[str, ...]


def vary(toolbox: base.Toolbox, parents: list[Genome], rng: random.Random,
         rejections: Counter, attempts: int = 25) -> Offspring | None:
    """Make one valid child of ``parents[0]`` (crossing with ``parents[1]`` when picked).

    Children that break a structural rule or a size limit, or that are the
    parent again, are never returned; each rejection's reason is counted in
    ``rejections`` (``reference``, ``type``, ``height``, ``size``, ``slots``,
    ``states``, ``square-input``, ``unchanged``, ``not-applicable``).

    Returns:
        The child, or None when every attempt was rejected.
    """
    names = [n for n, w in toolbox.weights.items() if w > 0
             and (n != "crossover" or len(parents) > 1)]
    weights = [toolbox.weights[n] for n in names]
    parent = parents[0]
    for _ in range(attempts):
        operator = rng.choices(names, weights)[0]
        function = getattr(toolbox, operator)
        try:
            if operator == "crossover":
                child = function(parent, parents[1], rng)
            else:
                child = function(parent, rng)
            child = child.without_dead_slots()
        except OperatorError as error:
            rejections[error.reason] += 1
            continue
        except GenomeError as error:
            rejections[_reason(str(error))] += 1
            continue
        reason = _limit_reason(child, toolbox.context)
        if reason:
            rejections[reason] += 1
            continue
        if child.hash == parent.hash:
            rejections["unchanged"] += 1
            continue
        used = (parent.hash, parents[1].hash) if operator == "crossover" else (parent.hash,)
        return Offspring(child, operator, used)
    return None


def _reason(message: str) -> str:
    if "takes (" in message or "hidden vector" in message:
        return "type"
    if "reads" in message:
        return "reference"
    return "invalid"


def _limit_reason(child: Genome, context: OperatorContext) -> str:
    if child.needs_square_input and not context.allow_square_input:
        return "square-input"
    limits = context.limits
    if len(child.states) > limits.max_states:
        return "states"
    if len(child.slots) > limits.max_slots:
        return "slots"
    for slot in child.slots:
        if slot.height > limits.max_height:
            return "height"
        if slot.size > limits.max_slot_size:
            return "size"
    return ""
