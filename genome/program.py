"""Compile a genome into a flat program of tensor instructions.

The program is what both Keras layers run. Compilation does the work that
makes the fast path fast, once per genome:

* value numbering: a parameter-free subexpression read twice (``1 - z``,
  ``tanh(c')``, a slot read by several trees) is computed once;
* ``+`` chains become n-ary sums;
* matrix products that read the same operand become one matmul with the
  kernels side by side (``U h`` of four LSTM gates is one H x 4H product);
* optionally, everything that does not depend on a state (every ``W x``, the
  biases added to it, whole gates that read only ``x``) is marked *hoisted*:
  the sequence layer computes it for all time steps in one pass before the
  recurrent loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from genome._tree import fold
from genome.core import Genome
from genome.errors import GenomeError
from genome.primitives import bias_value, is_reference

__all__ = ["Instruction", "ParamSpec", "Program", "compile_genome"]


@dataclass(frozen=True)
class ParamSpec:
    """One trainable parameter of a compiled genome.

    Attributes:
        name: weight name, ``slot/kind index`` (``z/W0``, ``c/p1``).
        kind: ``W`` (D x H), ``U`` or ``R`` (H x H), ``p`` (H) or ``b`` (H).
        init: the initial value of a bias (``b(k)`` starts at k).
    """

    name: str
    kind: str
    init: float = 0.0

    def shape(self, input_dim: int, units: int) -> tuple[int, ...]:
        if self.kind == "W":
            return (input_dim, units)
        if self.kind in ("U", "R"):
            return (units, units)
        return (units,)


@dataclass(frozen=True)
class Instruction:
    """One step of a program.

    ``op`` is one of: ``matmul`` (``args[0]`` times the kernels ``params``
    side by side; one output per kernel), ``peephole`` (``args[0] * params[0]``),
    ``bias`` (``params[0]``), ``const`` (``value``), ``sum`` (all ``args``),
    ``sub``, ``mul``, ``tanh``, ``sigmoid``, ``relu``.
    """

    op: str
    outputs: tuple[int, ...]
    args: tuple[int, ...] = ()
    params: tuple[int, ...] = ()
    value: float = 0.0


@dataclass(frozen=True)
class Program:
    """A genome compiled for execution.

    Attributes:
        params: every parameter, in the order weights are created.
        instructions: in dependency order.
        input_value: value id of the step input x.
        states: state names in genome order (the order of ``state_size``).
        state_inputs: value id of each previous state.
        state_outputs: value id of each new state.
        output: value id of ``h'``.
        hoisted: value ids that depend on x and on no state.
        constant: value ids that depend on neither (biases, constants and what
            is computed from them alone): the same at every step.
        needs_square_input: whether x is read as a hidden vector.
    """

    params: tuple[ParamSpec, ...]
    instructions: tuple[Instruction, ...]
    input_value: int
    states: tuple[str, ...]
    state_inputs: tuple[int, ...]
    state_outputs: tuple[int, ...]
    output: int
    hoisted: frozenset[int] = field(default_factory=frozenset)
    constant: frozenset[int] = field(default_factory=frozenset)
    needs_square_input: bool = False

    @property
    def matmul_count(self) -> int:
        return sum(1 for i in self.instructions if i.op == "matmul")


class _Builder:
    def __init__(self) -> None:
        self.params: list[ParamSpec] = []
        self.instructions: list[Instruction] = []
        self.known: dict[tuple, int] = {}
        self.count = 0
        self.kind_counts: dict[tuple[str, str], int] = {}

    def new_value(self) -> int:
        self.count += 1
        return self.count - 1

    def emit(self, op: str, args: tuple[int, ...] = (), params: tuple[int, ...] = (),
             value: float = 0.0, key: tuple | None = None) -> int:
        """Append an instruction; with ``key``, reuse an identical earlier value."""
        if key is not None and key in self.known:
            return self.known[key]
        out = self.new_value()
        self.instructions.append(Instruction(op, (out,), args, params, value))
        if key is not None:
            self.known[key] = out
        return out

    def param(self, slot: str, kind: str, init: float = 0.0) -> int:
        number = self.kind_counts.get((slot, kind), 0)
        self.kind_counts[(slot, kind)] = number + 1
        self.params.append(ParamSpec(f"{slot}/{kind}{number}", kind, init))
        return len(self.params) - 1


class _Sum:
    """A ``+`` chain not yet written out, so that nested additions flatten."""

    __slots__ = ("terms",)

    def __init__(self, terms: list[int]):
        self.terms = terms


def compile_genome(genome: Genome, *, fuse: str = "all", hoist: bool = False) -> Program:
    """Compile the live slots of ``genome``.

    Args:
        genome: the cell.
        fuse: which matrix products that read the same operand become one:
            ``"all"``, ``"hoisted"`` (only those computed before the loop) or
            ``"none"``.
        hoist: mark what depends only on x, for computation before the loop;
            sums mixing both kinds are split so their x-only part is hoisted.

    Returns:
        The program.

    Example:
        >>> from genome import seeds
        >>> compile_genome(seeds.get("lstm_b")).matmul_count  # x and h
        2
    """
    genome = genome.without_dead_slots()
    builder = _Builder()
    x_value = builder.new_value()
    state_inputs = {name: builder.new_value() for name in genome.states}
    defined: dict[str, int] = {}

    for slot in genome.slots:
        # Parameters are numbered in reading order, whatever order the fold visits nodes.
        params = {}
        for position, item in enumerate(slot.nodes):
            init = bias_value(item.name) if not item.arity else None
            if item.name in ("W", "U", "R", "p"):
                params[position] = builder.param(slot.name, item.name)
            elif init is not None:
                params[position] = builder.param(slot.name, "b", init)

        def leaf_or_node(item, kids, params=params):
            return _combine(builder, params, item, kids, x_value, state_inputs, defined)

        positioned = [_Positioned(item, position) for position, item in enumerate(slot.nodes)]
        root = _materialize(builder, fold(positioned, leaf_or_node))
        defined[slot.target] = root

    instructions = builder.instructions
    hoisted: set[int] = set()
    constant: set[int] = set()
    if hoist:
        instructions, hoisted, constant = _hoist(builder, x_value)
    if fuse not in ("all", "hoisted", "none"):
        raise ValueError(f"fuse must be 'all', 'hoisted' or 'none', got {fuse!r}")
    if fuse != "none":
        instructions = _fuse_matmuls(instructions, hoisted if fuse == "hoisted" else None)
    used = _used_values(instructions, [defined[f"{s}'"] for s in genome.states])
    instructions = [i for i in instructions if any(o in used for o in i.outputs)]
    return Program(
        params=tuple(builder.params),
        instructions=tuple(instructions),
        input_value=x_value,
        states=genome.states,
        state_inputs=tuple(state_inputs[s] for s in genome.states),
        state_outputs=tuple(defined[f"{s}'"] for s in genome.states),
        output=defined["h'"],
        hoisted=frozenset(hoisted & used),
        constant=frozenset(constant & used),
        needs_square_input=genome.needs_square_input,
    )


def _materialize(builder: _Builder, value: int | _Sum) -> int:
    if isinstance(value, _Sum):
        terms = tuple(sorted(value.terms))
        return builder.emit("sum", terms, key=("sum", terms))
    return value


class _Positioned:
    """A node with its position in the tree, so the fold can find its parameter."""

    __slots__ = ("arity", "item", "position")

    def __init__(self, item, position: int):
        self.item = item
        self.arity = item.arity
        self.position = position


def _combine(builder: _Builder, params: dict[int, int], positioned: _Positioned, kids: list,
             x_value: int, state_inputs: dict[str, int], defined: dict[str, int]
             ) -> int | _Sum:
    item = positioned.item
    name = item.name
    if not item.arity:
        if name == "x":
            return x_value
        if name in ("0", "1"):
            return builder.emit("const", value=float(name), key=("const", name))
        if positioned.position in params:
            return builder.emit("bias", params=(params[positioned.position],))
        if is_reference(item):
            return defined[name] if name in defined else state_inputs[name]
        raise GenomeError(f"cannot compile node {name!r}")  # pragma: no cover
    if name == "add":
        terms: list[int] = []
        for kid in kids:
            terms.extend(kid.terms if isinstance(kid, _Sum) else [kid])
        return _Sum(terms)
    args = tuple(_materialize(builder, kid) for kid in kids)
    if name in ("W", "U", "R"):
        return builder.emit("matmul", args, (params[positioned.position],))
    if name == "p":
        return builder.emit("peephole", args, (params[positioned.position],))
    if name in ("xh", "identity"):
        return args[0]
    if name == "mul":
        return builder.emit(name, tuple(sorted(args)), key=(name, *sorted(args)))
    return builder.emit(name, args, key=(name, *args))


def _hoist(builder: _Builder, x_value: int
           ) -> tuple[list[Instruction], set[int], set[int]]:
    """Mark values that depend on x but on no state; split sums that mix both.

    Values of neither kind (biases, constants and what is computed from them
    alone) are *free*: cheap, shaped (H,), and computed wherever needed.
    """
    hoisted = {x_value}
    free: set[int] = set()
    result: list[Instruction] = []
    for instruction in builder.instructions:
        args = instruction.args
        early = [a for a in args if a in hoisted]
        cheap = [a for a in args if a in free]
        late = [a for a in args if a not in hoisted and a not in free]
        if not late:
            (hoisted if early else free).update(instruction.outputs)
        elif instruction.op == "sum" and early:
            # Pre-add the x-only terms (and the biases) for every step at once.
            part = builder.new_value()
            result.append(Instruction("sum", (part,), tuple(early + cheap)))
            hoisted.add(part)
            instruction = Instruction("sum", instruction.outputs, (part, *late))
        result.append(instruction)
    return result, hoisted, free


def _fuse_matmuls(instructions: list[Instruction], only: set[int] | None) -> list[Instruction]:
    """Merge matmuls with the same operand (in ``only``, if given) where the first one was."""
    groups: dict[int, list[Instruction]] = {}
    for instruction in instructions:
        if instruction.op == "matmul" and (only is None or instruction.args[0] in only):
            groups.setdefault(instruction.args[0], []).append(instruction)
    result = []
    placed: set[int] = set()
    for instruction in instructions:
        if instruction.op != "matmul" or instruction.args[0] not in groups:
            result.append(instruction)
            continue
        operand = instruction.args[0]
        if operand in placed:
            continue
        placed.add(operand)
        members = groups[operand]
        result.append(Instruction(
            "matmul",
            tuple(o for m in members for o in m.outputs),
            (operand,),
            tuple(p for m in members for p in m.params),
        ))
    return result


def _used_values(instructions: list[Instruction], roots: list[int]) -> set[int]:
    used = set(roots)
    for instruction in reversed(instructions):
        if any(o in used for o in instruction.outputs):
            used.update(instruction.args)
    return used


def param_total(program: Program, input_dim: int, units: int) -> int:
    """Number of scalars in all parameters (equals :func:`genome.param_count`)."""
    return sum(math.prod(p.shape(input_dim, units)) for p in program.params)
