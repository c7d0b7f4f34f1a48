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
            total = env[args[0]] + tf.matmul(_as_rows(env[args[1]], kernel), kernel)
            for value, piece in zip(outputs, tf.split(total, len(outputs), axis=-1),
                                    strict=True):
                env[value] = piece
        elif op == "matmul":
            kernel = (weights[instruction.params[0]] if len(outputs) == 1
                      else kernels[outputs])
            product = tf.matmul(_as_rows(env[args[0]], kernel), kernel)
            if len(outputs) == 1:
                env[outputs[0]] = product
            else:
                for value, piece in zip(outputs, tf.split(product, len(outputs), axis=-1),
                                        strict=True):
                    env[value] = piece
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


def group_gates(instructions: Sequence[Instruction], hoisted: frozenset[int], first_id: int
                ) -> tuple[list[Instruction], dict[int, tuple[int, ...]]]:
    """Turn ``x-part_j + (U h)_j``, for every piece j of one fused matmul, into one add.

    An LSTM's four gate sums each add a hoisted value to one piece of the fused
    ``U h`` product. Adding the hoisted values side by side to the whole product,
    then splitting once, runs one add and one split per step instead of a split
    and four adds: fewer ops on the loop's critical path, which is what a step
    costs when it is small.

    Args:
        instructions: the loop's instructions, in order.
        hoisted: values computed before the loop.
        first_id: the first unused value id; each group's side-by-side
            hoisted value gets the next one.

    Returns:
        The rewritten instructions, where each group is an ``affine`` instruction
        (``args``: the side-by-side hoisted value and the matmul operand;
        ``params``: the kernels; ``outputs``: the sums), and for each new
        side-by-side value, the hoisted values it is made of, in order.
    """
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
    return rewritten, groups
