"""Executing a compiled program with TensorFlow ops."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import tensorflow as tf

from genome.program import Instruction, Program

_ACTIVATIONS = {"tanh": tf.tanh, "sigmoid": tf.sigmoid, "relu": tf.nn.relu}


def fused_kernels(program: Program, weights: Sequence[tf.Tensor],
                  instructions: Iterable[Instruction] | None = None) -> dict[tuple, tf.Tensor]:
    """The side-by-side kernel of every fused matmul, keyed by its outputs."""
    kernels = {}
    for instruction in instructions if instructions is not None else program.instructions:
        if instruction.op in ("matmul", "affine") and len(instruction.params) > 1:
            kernels[instruction.outputs] = tf.concat(
                [weights[p] for p in instruction.params], axis=1)
    return kernels


def execute(instructions: Iterable[Instruction], env: dict[int, tf.Tensor],
            weights: Sequence[tf.Tensor], kernels: dict[tuple, tf.Tensor],
            dtype: tf.DType) -> None:
    """Run instructions in order, writing each output value into ``env``."""
    for instruction in instructions:
        op, args, outputs = instruction.op, instruction.args, instruction.outputs
        if op == "affine":
            kernel = kernels[outputs]
            _scatter(env, outputs,
                     env[args[0]] + tf.matmul(_as_rows(env[args[1]], kernel), kernel))
        elif op == "matmul":
            kernel = (weights[instruction.params[0]] if len(outputs) == 1
                      else kernels[outputs])
            _scatter(env, outputs, tf.matmul(_as_rows(env[args[0]], kernel), kernel))
        elif op == "sum":
            total = env[args[0]]
            for arg in args[1:]:
                total = total + env[arg]
            env[outputs[0]] = total
        elif op == "mul":
            env[outputs[0]] = env[args[0]] * env[args[1]]
        elif op == "sub":
            env[outputs[0]] = env[args[0]] - env[args[1]]
        elif op == "peephole":
            env[outputs[0]] = env[args[0]] * weights[instruction.params[0]]
        elif op == "bias":
            env[outputs[0]] = weights[instruction.params[0]]
        elif op == "const":
            env[outputs[0]] = tf.constant(instruction.value, dtype=dtype)
        else:
            env[outputs[0]] = _ACTIVATIONS[op](env[args[0]])


def _scatter(env: dict[int, tf.Tensor], outputs: tuple[int, ...], product: tf.Tensor) -> None:
    """Write a product of side-by-side kernels into its outputs, one piece each."""
    if len(outputs) == 1:
        env[outputs[0]] = product
        return
    for value, piece in zip(outputs, tf.split(product, len(outputs), axis=-1), strict=True):
        env[value] = piece


def _as_rows(operand: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
    """A matmul operand as rows: constants and biases (``U 1``, ``U b``) become one row."""
    if operand.shape.rank == 2:
        return operand
    return tf.broadcast_to(operand, (1, kernel.shape[0]))


def full_width(value: tf.Tensor, like: tf.Tensor) -> tf.Tensor:
    """``value`` broadcast to the shape of a state (a constant or bias state is legal)."""
    if value.shape.rank == like.shape.rank and value.shape[0] == like.shape[0] != 1:
        return value
    return tf.broadcast_to(value, tf.shape(like))


def group_gates(program: Program, early: Sequence[Instruction],
                instructions: Sequence[Instruction]
                ) -> tuple[list[Instruction], dict[int, tuple[int, ...]], dict[int, tuple]]:
    """Turn ``x-part_j + (U h)_j``, for every piece j of one fused matmul, into one add.

    An LSTM's four gate sums each add a hoisted value to one piece of the fused
    ``U h`` product. Adding the hoisted values side by side to the whole product,
    then splitting once, runs one add and one split per step instead of a split
    and four adds: fewer ops on the loop's critical path, which is what a step
    costs when it is small.

    Args:
        program: the compiled program (hoisted values, value ids in use).
        early: the instructions run before the loop.
        instructions: the loop's instructions, in order.

    Returns:
        The rewritten loop instructions, where each group is an ``affine``
        instruction (``args``: the side-by-side hoisted value, a new value id, and
        the matmul operand; ``params``: the kernels; ``outputs``: the sums); for
        each new side-by-side value, the hoisted values it is made of, in order;
        and, for those that are exactly a fused x-side product plus biases, how
        to compute them unsplit (see :func:`_direct_recipe`).
    """
    hoisted = program.hoisted
    first_id = 1 + max((program.input_value, *program.state_inputs,
                        *(v for i in program.instructions for v in (*i.outputs, *i.args))))
    readers: dict[int, list[Instruction]] = {}
    for instruction in instructions:
        for arg in set(instruction.args):
            readers.setdefault(arg, []).append(instruction)
    replaced: dict[int, Instruction] = {}  # id() of a replaced instruction -> its group
    groups: dict[int, tuple[int, ...]] = {}
    for instruction in instructions:
        if instruction.op != "matmul" or len(instruction.outputs) < 2:
            continue
        sums, parts = [], []
        for piece in instruction.outputs:
            users = readers.get(piece, [])
            if len(users) != 1 or users[0].op != "sum" or len(users[0].args) != 2:
                break
            (other,) = [a for a in users[0].args if a != piece] or [None]
            if other not in hoisted or users[0] in sums:
                break
            sums.append(users[0])
            parts.append(other)
        else:
            side_by_side = first_id + len(groups)
            groups[side_by_side] = tuple(parts)
            group = Instruction("affine", tuple(s.outputs[0] for s in sums),
                                (side_by_side, instruction.args[0]), instruction.params)
            # The group runs where the matmul ran: every sum comes after it.
            replaced[id(instruction)] = group
            for member in sums:
                replaced[id(member)] = None
    rewritten = []
    for instruction in instructions:
        if id(instruction) not in replaced:
            rewritten.append(instruction)
        elif replaced[id(instruction)] is not None:
            rewritten.append(replaced[id(instruction)])
    direct = {group: recipe for group, parts in groups.items()
              if (recipe := _direct_recipe(parts, early)) is not None}
    return rewritten, groups, direct


def _direct_recipe(parts: tuple[int, ...], early: Sequence[Instruction]
                   ) -> tuple[int, tuple[int, ...], tuple[int, ...]] | None:
    """For parts that are exactly ``(W v)_j + b_j`` of one fused product, in its order:
    its operand v, its outputs and the biases' parameters. Otherwise None.

    Then the side-by-side parts are one matmul plus one bias row, instead of a matmul
    split into pieces, a bias added to each and the sums put back side by side.
    """
    producer = {o: i for i in early for o in i.outputs}
    sums = [producer.get(p) for p in parts]
    if any(s is None or s.op != "sum" or len(s.args) != 2 for s in sums):
        return None
    products = [producer[a] for a in sums[0].args
                if a in producer and producer[a].op == "matmul"]
    if len(products) != 1 or len(products[0].outputs) != len(parts):
        return None
    (product,) = products
    biases = []
    for piece, total in zip(product.outputs, sums, strict=True):
        if piece not in total.args:
            return None
        (other,) = [a for a in total.args if a != piece] or [piece]
        source = producer.get(other)
        if source is None or source.op != "bias":
            return None
        biases.append(source.params[0])
    return product.args[0], product.outputs, tuple(biases)
