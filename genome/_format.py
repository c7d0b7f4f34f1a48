"""Printing trees in the paper-like notation (the inverse of :mod:`genome.notation`)."""

from __future__ import annotations

from collections.abc import Sequence

from genome._tree import fold

# Binding strength of what a printed piece is, from loosest to tightest.
SUM, PRODUCT, PEEPHOLE, LINEAR_APPLICATION, ATOM = 1, 2, 3, 4, 5

_SYMBOLS = {"add": "+", "sub": "-", "mul": "*"}


def _wrap(piece: tuple[str, int], at_least: int) -> str:
    text, strength = piece
    return text if strength >= at_least else f"({text})"


def _combine(item, children: list[tuple[str, int]]) -> tuple[str, int]:
    name = item.name
    if not item.arity:
        return name, ATOM
    if name == "xh":
        return "x", ATOM
    if name in ("W", "U", "R"):
        operand = children[0]
        if operand[1] >= LINEAR_APPLICATION:
            return f"{name} {operand[0]}", LINEAR_APPLICATION
        return f"{name}({operand[0]})", LINEAR_APPLICATION
    if name == "p":
        return f"p * {_wrap(children[0], PEEPHOLE)}", PEEPHOLE
    if name in _SYMBOLS:
        level = SUM if name in ("add", "sub") else PRODUCT
        left = _wrap(children[0], level)
        right = _wrap(children[1], level + 1)
        return f"{left} {_SYMBOLS[name]} {right}", level
    return f"{name}({children[0][0]})", ATOM


def format_tree(nodes: Sequence) -> str:
    """The notation of one tree, e.g. ``sigmoid(W x + U h + b)``."""
    return fold(nodes, _combine)[0]
