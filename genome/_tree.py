"""Iterative walks over prefix-ordered trees.

Trees are DEAP prefix lists. Every algorithm here runs on an explicit
stack, so a tree of any height is handled without recursion.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from genome.errors import GenomeError

T = TypeVar("T")


def fold(nodes: Sequence, combine: Callable[[object, list[T]], T]) -> T:
    """Evaluate a prefix tree bottom-up: ``combine(node, child_results)`` per node."""
    stack: list[T] = []
    for item in reversed(nodes):
        arity = item.arity
        if arity:
            if len(stack) < arity:
                raise GenomeError("incomplete tree: a node has fewer children than its arity")
            children = stack[-1 : -arity - 1 : -1]
            del stack[-arity:]
            stack.append(combine(item, children))
        else:
            stack.append(combine(item, []))
    if len(stack) != 1:
        raise GenomeError(f"malformed tree: {len(stack)} roots instead of 1")
    return stack[0]


def check_complete(nodes: Sequence) -> None:
    """Raise unless ``nodes`` is exactly one complete prefix tree."""
    if not nodes:
        raise GenomeError("empty tree")
    open_slots = 1
    for position, item in enumerate(nodes):
        if open_slots == 0:
            raise GenomeError(f"malformed tree: extra nodes from position {position}")
        open_slots += item.arity - 1
    if open_slots:
        raise GenomeError(f"incomplete tree: {open_slots} missing operand(s)")


def height(nodes: Sequence) -> int:
    """Depth of the deepest node (a single terminal has height 0)."""
    stack = [0]
    deepest = 0
    for item in nodes:
        if not stack:
            raise GenomeError("malformed tree: extra nodes after a complete tree")
        depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend([depth + 1] * item.arity)
    return deepest


def subtree_end(nodes: Sequence, begin: int) -> int:
    """Index one past the subtree rooted at ``begin``."""
    end = begin + 1
    total = nodes[begin].arity
    while total > 0:
        total += nodes[end].arity - 1
        end += 1
    return end
