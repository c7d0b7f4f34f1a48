"""LaTeX rendering of a genome, for papers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from genome._format import ATOM, LINEAR_APPLICATION, PEEPHOLE, PRODUCT, SUM
from genome._tree import fold
from genome.primitives import bias_value, is_reference

if TYPE_CHECKING:
    from genome.core import Genome

__all__ = ["to_latex"]

_FUNCTIONS = {"tanh": r"\tanh", "sigmoid": r"\sigma", "relu": r"\operatorname{relu}",
              "identity": ""}


def _symbol(name: str) -> str:
    head, _, tail = name.partition("_")
    head = head if len(head) == 1 else rf"\mathit{{{head}}}"
    return f"{head}_{{{tail}}}" if tail else head


def _subscript(slot: str) -> str:
    return slot if len(slot) == 1 else rf"\mathit{{{slot}}}"


def to_latex(genome: Genome) -> str:
    r"""An ``aligned`` block with one equation per slot.

    Every matrix, peephole and bias gets a subscript naming its slot (and a
    number when a slot has several), so each parameter is visibly distinct.

    Example:
        >>> from genome import parse
        >>> print(to_latex(parse("h' = tanh(W x + U h + b)")))
        \begin{aligned}
        h_{t} &= \tanh(W_{h} x_{t} + U_{h} h_{t-1} + b_{h})
        \end{aligned}
    """
    lines = []
    intermediates = set(genome.intermediates)
    for slot in genome.slots:
        counts: dict[str, int] = {}
        for name in slot.node_names:
            kind = "b" if bias_value(name) is not None else name
            if kind in ("W", "U", "R", "p", "b"):
                counts[kind] = counts.get(kind, 0) + 1
        seen: dict[str, int] = {}
        sub = _subscript(slot.name)

        def parameter(kind: str, sub: str = sub, counts: dict = counts, seen: dict = seen) -> str:
            # The fold visits nodes last to first, so count down to number them in reading order.
            seen[kind] = seen.get(kind, 0) + 1
            number = f",{counts[kind] - seen[kind] + 1}" if counts[kind] > 1 else ""
            return f"{kind}_{{{sub}{number}}}"

        def combine(item, kids, parameter=parameter) -> tuple[str, int]:
            return _combine(item, kids, parameter, intermediates)

        body = fold(slot.nodes, combine)[0]
        head = _symbol(slot.name)
        lines.append(f"{head}_{{t}} &= {body}")
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def _wrap(piece: tuple[str, int], at_least: int) -> str:
    text, strength = piece
    return text if strength >= at_least else f"({text})"


def _combine(item, kids: list[tuple[str, int]], parameter, intermediates: set[str]
             ) -> tuple[str, int]:
    name = item.name
    if not item.arity:
        if name == "x":
            return "x_{t}", ATOM
        if name in ("0", "1"):
            return name, ATOM
        if bias_value(name) is not None:
            return parameter("b"), ATOM
        if is_reference(item):
            base = _symbol(name.rstrip("'"))
            current = name.endswith("'") or name in intermediates
            return (f"{base}_{{t}}" if current else f"{base}_{{t-1}}"), ATOM
    if name == "xh":
        return "x_{t}", ATOM
    if name in ("W", "U", "R"):
        return f"{parameter(name)} {_wrap(kids[0], LINEAR_APPLICATION)}", LINEAR_APPLICATION
    if name == "p":
        return rf"{parameter('p')} \odot {_wrap(kids[0], PEEPHOLE)}", PEEPHOLE
    if name in ("add", "sub"):
        symbol = "+" if name == "add" else "-"
        return f"{_wrap(kids[0], SUM)} {symbol} {_wrap(kids[1], PRODUCT)}", SUM
    if name == "mul":
        return rf"{_wrap(kids[0], PRODUCT)} \odot {_wrap(kids[1], PEEPHOLE)}", PRODUCT
    function = _FUNCTIONS[name]
    return f"{function}({kids[0][0]})", ATOM
