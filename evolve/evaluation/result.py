"""The outcome of evaluating one genome under one protocol and seed."""

from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["EvaluationResult", "Status"]


class Status(enum.StrEnum):
    """How an evaluation ended. Only ``done`` has a meaningful value."""

    DONE = "done"
    DIVERGED = "diverged"
    TIMEOUT = "timeout"
    FAILED = "failed"


@dataclass(frozen=True)
class EvaluationResult:
    """What an evaluation produced.

    Attributes:
        status: how it ended.
        task: the task name.
        metric: the headline metric's name.
        higher_is_better: the headline metric's direction.
        value: validation headline metric of the best setting; for a failure,
            the worst possible value (0 or infinity), never NaN.
        metrics: everything measured, JSON-ready (``valid_*``, ``test_*``,
            ``curve`` and ``step_seconds`` of the best setting, ``settings``:
            one entry per hyperparameter setting, each with its own).
        params: trainable parameters of the model's recurrent layers.
        seconds: wall time of the evaluation.
        error: what went wrong, for a failure.
    """

    status: Status
    task: str
    metric: str
    higher_is_better: bool
    value: float
    metrics: dict[str, Any] = field(default_factory=dict)
    params: int = 0
    seconds: float = 0.0
    error: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))
        if math.isnan(self.value):
            raise ValueError("an evaluation result's value is never NaN")

    @property
    def ok(self) -> bool:
        return self.status is Status.DONE

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["value"] = self.value if math.isfinite(self.value) else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvaluationResult:
        data = dict(data)
        if data.get("value") is None:
            data["value"] = 0.0 if data.get("higher_is_better") else math.inf
        return cls(**data)
