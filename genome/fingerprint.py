"""Functional fingerprints: catch equivalent genomes that the rewrite rules miss.

As AutoML-Zero does, run the cell on fixed inputs and hash what comes out.
Each parameter gets values seeded by its *role* in the canonical form (its
kind, its initial value, the canonical text of what it multiplies, and how
many parameters of that role came before it), so two genomes that compute
the same function with parameters in the same roles produce the same
outputs, while different cells almost surely do not. Pure NumPy, float64.
"""

from __future__ import annotations

import hashlib

import numpy as np

from genome._format import format_tree
from genome._tree import subtree_end
from genome.core import Genome
from genome.primitives import bias_value
from genome.program import Program, compile_genome

__all__ = ["fingerprint"]

_WIDTH, _BATCH, _STEPS = 6, 3, 7
_ACTIVATIONS = {
    "tanh": np.tanh,
    "sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)),
    "relu": lambda v: np.maximum(v, 0.0),
}


def _roles(genome: Genome) -> list[str]:
    """A role key per parameter, in the order :func:`compile_genome` creates them."""
    roles = []
    live = set(genome.live_slots())
    for slot in genome.slots:
        if slot.name not in live:
            continue
        nodes = slot.nodes
        for position, item in enumerate(nodes):
            name = item.name
            if name in ("W", "U", "R", "p"):
                operand = format_tree(nodes[position + 1 : subtree_end(nodes, position + 1)])
                roles.append(f"{'U' if name == 'R' else name}|{operand}")
            elif not item.arity and bias_value(name) is not None:
                roles.append(f"b|{bias_value(name)}")
    return roles


def _parameters(program: Program, roles: list[str]) -> list[np.ndarray]:
    seen: dict[str, int] = {}
    values = []
    for spec, role in zip(program.params, roles, strict=True):
        occurrence = seen.get(role, 0)
        seen[role] = occurrence + 1
        digest = hashlib.sha256(f"{role}#{occurrence}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        shape = spec.shape(_WIDTH, _WIDTH)
        scale = 1.0 / np.sqrt(_WIDTH) if len(shape) == 2 else 0.5
        values.append(rng.normal(0.0, scale, size=shape) + spec.init)
    return values


def _run(program: Program, weights: list[np.ndarray], inputs: np.ndarray) -> np.ndarray:
    states = [np.zeros((_BATCH, _WIDTH)) for _ in program.states]
    outputs = []
    for step in inputs:
        env = {program.input_value: step, **dict(zip(program.state_inputs, states, strict=True))}
        for instruction in program.instructions:
            op, args = instruction.op, instruction.args
            out = instruction.outputs[0]
            if op == "matmul":
                kernel = weights[instruction.params[0]]
                operand = env[args[0]]
                if np.ndim(operand) < 2:  # a constant or a bias: one row for every example
                    operand = np.broadcast_to(operand, (1, kernel.shape[0]))
                env[out] = operand @ kernel
            elif op == "sum":
                env[out] = sum((env[a] for a in args[1:]), env[args[0]])
            elif op == "mul":
                env[out] = env[args[0]] * env[args[1]]
            elif op == "sub":
                env[out] = env[args[0]] - env[args[1]]
            elif op == "peephole":
                env[out] = env[args[0]] * weights[instruction.params[0]]
            elif op == "bias":
                env[out] = weights[instruction.params[0]]
            elif op == "const":
                env[out] = np.float64(instruction.value)
            else:
                env[out] = _ACTIVATIONS[op](env[args[0]])
        states = [np.broadcast_to(env[v], (_BATCH, _WIDTH)) for v in program.state_outputs]
        outputs.append(states[program.states.index("h")])
    return np.stack(outputs)


def fingerprint(genome: Genome) -> str | None:
    """Hex digest of the cell's outputs on fixed inputs, or None if they are not finite.

    Genomes whose outputs blow up share no fingerprint: NaN says nothing about
    what a cell computes.

    Example:
        >>> from genome import parse
        >>> a = fingerprint(parse("h' = tanh(W x + U h + b)"))
        >>> a == fingerprint(parse("h' = 0 - tanh(0 - (W x + U h + b))"))
        False
    """
    canon = genome.canonical()
    program = compile_genome(canon, fuse="none")
    weights = _parameters(program, _roles(canon))
    inputs = np.random.default_rng(20150706).normal(size=(_STEPS, _BATCH, _WIDTH))
    with np.errstate(all="ignore"):
        outputs = _run(program, weights, inputs)
    if not np.all(np.isfinite(outputs)) or np.abs(outputs).max() > 1e12:
        return None
    # Rounded, so that summation order cannot change the digest; +0.0 folds -0.0.
    quantized = np.round(outputs, 6) + 0.0
    return hashlib.sha256(quantized.tobytes()).hexdigest()
