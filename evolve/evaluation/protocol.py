"""The evaluation protocol: everything that decides a candidate's result, with a stable hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EvaluationProtocol", "ProtocolError"]

_VERSION = 1
#: The longest time budget a protocol accepts, in seconds (30 days).
MAX_TIME_BUDGET = 30 * 24 * 3600.0


class ProtocolError(ValueError):
    """A protocol field with a bad value, named with what is allowed."""


@dataclass(frozen=True)
class EvaluationProtocol:
    """How a candidate is trained and measured on one task.

    Two evaluations under protocols with the same :attr:`hash` (and the same
    genome and seed) give the same result.

    Attributes:
        task: task name (see :data:`evolve.tasks.TASK_NAMES`).
        task_params: the task's difficulty parameters; stored complete (omitted
            ones at their defaults) with floats as floats.
        units: hidden width of every recurrent layer.
        layers: stacked recurrent layers.
        embedding: embedding width (0: equal to ``units``, which square-input
            genomes such as MUT1 need).
        batch_size: sequences per training step.
        train_steps: training steps per hyperparameter setting.
        time_budget: seconds for the whole evaluation, training and measuring
            (at most 30 days); past it: ``timeout``.
        learning_rates: tried in turn with each of ``init_scales``; the best
            setting by validation metric is kept (Jozefowicz et al.).
        init_scales: factors applied to the initial matrices and peepholes.
        optimizer: ``"adam"`` or ``"sgd"``.
        clip_norm: global gradient-norm clipping (0: none).
        valid_sequences: validation sequences (0: the whole split, PTB).
        test_sequences: test sequences (0: the whole split, PTB).
        data_seed: which data; the same for every candidate so that they are
            compared on the same examples.
        max_params: candidates with more parameters fail without training.

    Example:
        >>> p = EvaluationProtocol("memorization", units=32)
        >>> p.replace(units=64).hash != p.hash
        True
    """

    task: str
    task_params: dict[str, Any] = field(default_factory=dict)
    units: int = 64
    layers: int = 1
    embedding: int = 0
    batch_size: int = 32
    train_steps: int = 400
    time_budget: float = 600.0
    learning_rates: tuple[float, ...] = (0.01,)
    init_scales: tuple[float, ...] = (1.0,)
    optimizer: str = "adam"
    clip_norm: float = 5.0
    valid_sequences: int = 512
    test_sequences: int = 512
    data_seed: int = 0
    max_params: int = 5_000_000

    def __post_init__(self) -> None:
        from evolve.tasks import TASK_NAMES, canonical_task_params

        # Every field is stored in one canonical spelling (600 and 600.0, an
        # omitted default and the default spelled out), so that to_dict() and
        # the hash are the same for protocols that mean the same.
        if not isinstance(self.task_params, dict):
            raise ProtocolError(f"task_params must be a table of names and values, got "
                                f"{self.task_params!r}")
        if self.task not in TASK_NAMES:
            raise ProtocolError(f"task {self.task!r} unknown; the tasks are "
                                f"{', '.join(TASK_NAMES)}")
        try:
            params = canonical_task_params(self.task, self.task_params)
        except ValueError as error:
            raise ProtocolError(f"task_params: {error}") from None
        object.__setattr__(self, "task_params", params)
        for name in ("learning_rates", "init_scales"):
            object.__setattr__(self, name, _numbers(name, getattr(self, name)))
        for name in ("time_budget", "clip_norm"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ProtocolError(f"{name} must be a number, got {value!r}")
            try:
                object.__setattr__(self, name, float(value))
            except OverflowError:
                raise ProtocolError(f"{name} must be a finite number, got {value!r}") from None
        self._check()

    def _check(self) -> None:
        # Upper bounds keep a typo from asking for terabytes.
        bounded = {"units": 8192, "layers": 16, "batch_size": 8192, "train_steps": 10**7,
                   "max_params": 10**10}
        for name, high in bounded.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= high:
                raise ProtocolError(f"{name} must be an integer from 1 to {high:,}, got "
                                    f"{value!r}")
        bounded = {"embedding": 8192, "valid_sequences": 10**6, "test_sequences": 10**6,
                   "data_seed": 2**32 - 1}
        for name, high in bounded.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= high:
                raise ProtocolError(f"{name} must be an integer from 0 to {high:,}, got "
                                    f"{value!r}")
        # Finite, too: the hash is JSON, which has no infinity.
        if not (math.isfinite(self.time_budget) and 0 < self.time_budget <= MAX_TIME_BUDGET):
            raise ProtocolError(f"time_budget must be positive seconds, at most "
                                f"{MAX_TIME_BUDGET:,.0f} (30 days), got {self.time_budget!r}")
        for name in ("learning_rates", "init_scales"):
            values = getattr(self, name)
            if not values or not all(math.isfinite(v) and v > 0 for v in values):
                raise ProtocolError(f"{name} must be a non-empty list of positive numbers, "
                                    f"got {list(values)!r}")
        if self.optimizer not in ("adam", "sgd"):
            raise ProtocolError(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        if not (math.isfinite(self.clip_norm) and self.clip_norm >= 0):
            raise ProtocolError(f"clip_norm must be a finite number >= 0, got {self.clip_norm!r}")

    @property
    def settings(self) -> list[tuple[float, float]]:
        """The (learning rate, init scale) pairs tried, in order."""
        return [(lr, scale) for lr in self.learning_rates for scale in self.init_scales]

    @property
    def embedding_width(self) -> int:
        return self.embedding or self.units

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["learning_rates"] = list(self.learning_rates)
        data["init_scales"] = list(self.init_scales)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvaluationProtocol:
        """Build from :meth:`to_dict`'s form; unknown keys are an error naming them."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ProtocolError(f"unknown protocol field(s) {', '.join(unknown)}; the fields "
                                f"are {', '.join(sorted(known))}")
        if "task" not in data:
            raise ProtocolError("a protocol needs a task")
        return cls(**data)

    def replace(self, **changes: Any) -> EvaluationProtocol:
        return EvaluationProtocol.from_dict({**self.to_dict(), **changes})

    @property
    def hash(self) -> str:
        """Hex SHA-256 of the canonical JSON of every field and the protocol version."""
        document = {"version": _VERSION, **self.to_dict()}
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def __hash__(self) -> int:
        return hash(self.hash)


def _numbers(name: str, value: Any) -> tuple[float, ...]:
    """A list field from a list or a single number (``--set learning_rates=0.01``)."""
    values = value if isinstance(value, list | tuple) else [value]
    try:
        if any(isinstance(v, bool) for v in values):
            raise TypeError
        return tuple(float(v) for v in values)
    except (TypeError, ValueError, OverflowError):
        raise ProtocolError(f"{name} must be a number or a list of numbers, got {value!r}"
                            ) from None
