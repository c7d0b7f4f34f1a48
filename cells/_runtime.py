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
        if instruction.op == "matmul" and len(instruction.params) > 1:
            kernels[instruction.outputs] = tf.concat(
                [weights[p] for p in instruction.params], axis=1)
    return kernels


def execute(instructions: Iterable[Instruction], env: dict[int, tf.Tensor],
            weights: Sequence[tf.Tensor], kernels: dict[tuple, tf.Tensor],
            dtype: tf.DType) -> None:
    """Run instructions in order, writing each output value into ``env``."""
    for instruction in instructions:
        op, args, outputs = instruction.op, instruction.args, instruction.outputs
        if op == "matmul":
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
