"""The vocabulary of genomes: every node a cell tree can hold, as DEAP objects.

A node is a DEAP :class:`~deap.gp.Primitive` (``W``, ``U``, ``R``, ``p``,
``add``, ``sub``, ``mul``, ``tanh``, ``sigmoid``, ``relu``, ``identity``,
``xh``) or :class:`~deap.gp.Terminal` (``x``, ``b``, ``b(k)``, ``0``, ``1``,
and references to other slots: ``h`` is the previous value of state ``h``,
``c'`` the new value of state ``c``, ``z`` the value of intermediate ``z``).

The name of a node determines it completely, so trees are stored and
compared by node names; :func:`node` turns a name back into its node without
evaluating anything.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable

from deap import gp

from genome.errors import GenomeError
from genome.types import Hidden, Input

__all__ = [
    "ACTIVATIONS",
    "BINARY",
    "LINEAR",
    "RESERVED_NAMES",
    "Node",
    "bias_name",
    "bias_value",
    "is_reference",
    "node",
    "primitive_set",
    "reference_name",
]

Node = gp.Primitive | gp.Terminal

#: Matrix products: ``W`` reads the input x (D x H); ``U`` and ``R`` read a
#: hidden vector (H x H). ``R`` is ``U`` under another name, kept so that
#: Greff's gate-recurrence weights read as in the paper.
LINEAR = ("W", "U", "R")
#: Elementwise binary operators.
BINARY = ("add", "sub", "mul")
#: Elementwise activations (``identity`` is accepted, never generated).
ACTIVATIONS = ("tanh", "sigmoid", "relu", "identity")
#: ``p * a``: a fresh diagonal (peephole) weight vector times ``a``.
PEEPHOLE = "p"
#: ``x`` read where a hidden vector is expected; needs input width == units.
SQUARE_INPUT = "xh"

#: Words that cannot name a slot.
RESERVED_NAMES = frozenset(
    {"x", "b", "p", "W", "U", "R", "tanh", "sigmoid", "relu", "identity", "xh",
     "add", "sub", "mul", "σ"}
)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BIAS = re.compile(r"b\((-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\)")


def _never_called(*_args):  # pragma: no cover - DEAP wants a callable per name
    raise RuntimeError("genome trees are interpreted by cells, never compiled by DEAP")


def _shared_node_error(item: Node, field: str) -> AttributeError:
    return AttributeError(f"genome node {item.name!r} is shared by every genome and cannot be "
                          f"changed (tried to change {field!r})")


class _ReadOnlyNode:
    """Shared vocabulary nodes refuse changes, and unpickle as the shared object."""

    __slots__ = ()

    def __setattr__(self, field: str, value: object) -> None:
        raise _shared_node_error(self, field)

    def __delattr__(self, field: str) -> None:
        raise _shared_node_error(self, field)

    def __reduce__(self):
        return node, (self.name,)


class _SharedPrimitive(_ReadOnlyNode, gp.Primitive):
    """A vocabulary primitive: one object is shared by every tree, so it is read-only."""

    __slots__ = ()

    def __init__(self, name: str, args: tuple[type, ...]):
        # DEAP's own __init__ assigns its fields, which __setattr__ forbids here.
        arguments = ", ".join(f"{{{index}}}" for index in range(len(args)))
        for field, value in (("name", name), ("arity", len(args)), ("args", tuple(args)),
                             ("ret", Hidden), ("seq", f"{name}({arguments})")):
            object.__setattr__(self, field, value)



class _SharedTerminal(_ReadOnlyNode, gp.Terminal):
    """A vocabulary terminal (``x``, a constant, a bias, a reference), read-only."""

    __slots__ = ()

    def __init__(self, name: str, ret: type):
        for field, value in (("ret", ret), ("value", name), ("name", name), ("conv_fct", str)):
            object.__setattr__(self, field, value)



def _primitive(name: str, args: tuple[type, ...]) -> gp.Primitive:
    return _SharedPrimitive(name, args)


_PRIMITIVES: dict[str, gp.Primitive] = {
    "W": _primitive("W", (Input,)),
    "U": _primitive("U", (Hidden,)),
    "R": _primitive("R", (Hidden,)),
    "p": _primitive("p", (Hidden,)),
    "xh": _primitive("xh", (Input,)),
    **{op: _primitive(op, (Hidden, Hidden)) for op in BINARY},
    **{act: _primitive(act, (Hidden,)) for act in ACTIVATIONS},
}

_INPUT = _SharedTerminal("x", Input)


def _hidden_terminal(name: str) -> gp.Terminal:
    return _SharedTerminal(name, Hidden)


def bias_name(init: float) -> str:
    """The node name of a bias initialised to ``init``: ``b`` for 0, else ``b(init)``."""
    init = float(init)
    if not math.isfinite(init):
        raise GenomeError(f"a bias initial value must be finite, got {init!r}")
    if init == 0:
        return "b"
    text = str(int(init)) if init.is_integer() and abs(init) < 1e15 else repr(init)
    return f"b({text})"


def bias_value(name: str) -> float | None:
    """The initial value of a bias node name, or None if ``name`` is no bias."""
    if name == "b":
        return 0.0
    match = _BIAS.fullmatch(name)
    return float(match.group(1)) if match else None


def reference_name(slot: str, new: bool) -> str:
    """The terminal name that reads slot ``slot``: ``c'`` for a new state value, else ``c``."""
    return slot + "'" if new else slot


def is_reference(item: Node) -> bool:
    """Whether a node reads another slot (a state or an intermediate)."""
    if item.arity:
        return False
    name = item.name
    return name not in ("x", "0", "1") and bias_value(name) is None


@functools.lru_cache(maxsize=4096)
def _cached_node(name: str) -> Node:
    if name in _PRIMITIVES:
        return _PRIMITIVES[name]
    if name == "x":
        return _INPUT
    if name in ("0", "1"):
        return _hidden_terminal(name)
    value = bias_value(name)
    if value is not None:
        if bias_name(value) != name:
            raise GenomeError(f"bias {name!r} is not in normal form; write {bias_name(value)!r}")
        return _hidden_terminal(name)
    base = name[:-1] if name.endswith("'") else name
    if _NAME.fullmatch(base) and base not in RESERVED_NAMES:
        return _hidden_terminal(name)
    raise GenomeError(f"{name!r} is not a genome node")


def node(name: str) -> Node:
    """The node called ``name``.

    Args:
        name: a primitive (``"add"``, ``"W"``, ...), ``"x"``, ``"0"``, ``"1"``,
            a bias (``"b"``, ``"b(1)"``) or a slot reference (``"h"``, ``"c'"``).

    Returns:
        The DEAP primitive or terminal; equal names give equal nodes.

    Raises:
        GenomeError: when ``name`` is none of these.

    Example:
        >>> node("W").arity
        1
    """
    if not isinstance(name, str) or len(name) > 64:
        raise GenomeError(f"{name!r} is not a genome node")
    return _cached_node(name)


def hidden_primitives(allow_square_input: bool) -> list[gp.Primitive]:
    """The primitives that operators may create (no ``R``, no ``identity``)."""
    names = ["W", "U", "p", "add", "sub", "mul", "tanh", "sigmoid", "relu"]
    if allow_square_input:
        names.append("xh")
    return [_PRIMITIVES[n] for n in names]


def slot_terminals(readable: Iterable[str]) -> list[gp.Terminal]:
    """The Hidden terminals a slot may hold: constants, biases and the references it can read."""
    names = ["b", "b(1)", "0", "1", *readable]
    return [node(n) for n in names]  # type: ignore[misc]


def primitive_set(
    readable: Iterable[str], allow_square_input: bool = False
) -> gp.PrimitiveSetTyped:
    """The DEAP primitive set of one slot position.

    What a slot may read depends on where it stands in the genome (the
    previous value of every state, the new value of every slot above it), so
    each position has its own set. Every call builds a new set (a few tens
    of microseconds): DEAP sets are mutable, and a shared one changed by one
    caller would silently change what every other caller generates.

    Args:
        readable: reference names the slot may read, e.g. ``("h", "c", "z")``.
        allow_square_input: whether ``x`` may be read as a hidden vector.

    Returns:
        A typed primitive set returning :class:`Hidden`, the caller's own.

    Example:
        >>> pset = primitive_set(("h",))
        >>> sorted(t.name for t in pset.terminals[Hidden])
        ['0', '1', 'b', 'b(1)', 'h']
    """
    pset = gp.PrimitiveSetTyped("slot", [], Hidden)
    for prim in hidden_primitives(allow_square_input):
        pset.addPrimitive(_never_called, prim.args, prim.ret, name=prim.name)
    pset.addTerminal(_never_called, Input, name="x")
    for term in slot_terminals(readable):
        pset.addTerminal(_never_called, Hidden, name=term.name)
    return pset
