"""What every task provides: splits of token sequences and a headline metric."""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class Split:
    """One split of a task, as aligned integer arrays of shape ``(sequences, steps)``.

    Attributes:
        inputs: token ids read by the model.
        targets: token ids to predict at each position.
        weights: 1.0 where a prediction counts, 0.0 elsewhere (padding,
            positions with nothing to predict).
    """

    inputs: np.ndarray
    targets: np.ndarray
    weights: np.ndarray

    def __post_init__(self) -> None:
        if not (self.inputs.shape == self.targets.shape == self.weights.shape):
            raise ValueError("inputs, targets and weights must have the same shape")

    def __len__(self) -> int:
        return int(self.inputs.shape[0])

    def batch(self, start: int, size: int) -> Split:
        """Rows ``start`` to ``start + size`` (wrapping around)."""
        rows = np.arange(start, start + size) % len(self)
        return Split(self.inputs[rows], self.targets[rows], self.weights[rows])


@dataclass(frozen=True)
class Metric:
    """The headline metric of a task and which way is better."""

    name: str
    higher_is_better: bool

    def worst(self) -> float:
        return 0.0 if self.higher_is_better else math.inf


class Task(abc.ABC):
    """A benchmark task: deterministic data from a seed, and its metrics.

    Subclasses set ``name``, ``metric`` and ``vocab_size`` and implement
    :meth:`split`. Parameters (difficulty) are keyword arguments of the
    constructor and appear in :meth:`params`, which is part of the
    evaluation protocol's identity.
    """

    name: ClassVar[str]
    metric: ClassVar[Metric]
    #: Whether predictions are for the next token of running text (language
    #: modelling) rather than answers at marked positions.
    language_model: ClassVar[bool] = False

    @property
    @abc.abstractmethod
    def vocab_size(self) -> int:
        """Number of distinct token ids in inputs and targets."""

    @abc.abstractmethod
    def params(self) -> dict[str, Any]:
        """The task's parameters, JSON-ready."""

    @abc.abstractmethod
    def split(self, which: str, seed: int, sequences: int) -> Split:
        """``sequences`` examples of split ``which`` ("train", "valid", "test")."""

    def extra_metrics(self, split: Split, predictions: np.ndarray) -> dict[str, float]:
        """Task-specific metrics from argmax ``predictions`` (same shape as targets)."""
        return {}

    def _rng(self, which: str, seed: int) -> np.random.Generator:
        if which not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {which!r}")
        # Separate, reproducible streams per split. They are independent draws, not
        # disjoint sets: where the task has few distinct examples (short memorization
        # strings, one-digit sums) valid and test examples also occur in train, so
        # they measure generalisation only when the space dwarfs the training pool.
        return np.random.default_rng([seed, SPLITS.index(which), 0x7A5C])

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({params})"
