"""What a seed report trains: which cells, on which tasks, under which protocol, how often."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evolve.evaluation import PRESETS, EvaluationProtocol, ProtocolError, preset_protocol
from evolve.tasks import TASK_NAMES
from genome import seeds

__all__ = ["ReportError", "ReportPlan"]


class ReportError(ValueError):
    """A report that cannot be made as asked, with what to change."""


@dataclass(frozen=True)
class ReportPlan:
    """Every seed cell on every task, each trained with several training seeds.

    The plan is what makes a report reproducible: the same plan gives the same
    evaluations (genome, task, protocol hash, training seed), so a report that
    was interrupted reuses everything already stored and trains only the rest.

    Attributes:
        preset: the protocol preset every task is trained under
            (:data:`evolve.evaluation.PRESETS`).
        cells: seed names, in the order the table lists them.
        tasks: task names, in the order of the table's columns.
        seeds: training seeds per (cell, task): seeds ``0 .. seeds - 1``.
        reference: the cell every ratio is relative to.
        overrides: protocol fields changed from the preset for every task.

    Example:
        >>> plan = ReportPlan(preset="smoke", cells=("gru", "rnn"), tasks=("memorization",))
        >>> len(plan.evaluations())
        6
    """

    preset: str = "quick"
    cells: tuple[str, ...] = field(default_factory=lambda: tuple(seeds.names()))
    tasks: tuple[str, ...] = TASK_NAMES
    seeds: int = 3
    reference: str = "gru"
    overrides: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cells", tuple(self.cells))
        object.__setattr__(self, "tasks", tuple(self.tasks))
        if self.preset not in PRESETS:
            raise ReportError(f"preset {self.preset!r} unknown; the presets are "
                              f"{', '.join(PRESETS)}")
        unknown = [name for name in self.cells if name not in seeds.names()]
        if unknown:
            raise ReportError(f"unknown cell(s) {', '.join(unknown)}; the seed cells are "
                              f"{', '.join(seeds.names())}")
        if not self.cells:
            raise ReportError("a report needs at least one cell")
        unknown = [name for name in self.tasks if name not in TASK_NAMES]
        if unknown:
            raise ReportError(f"unknown task(s) {', '.join(unknown)}; the tasks are "
                              f"{', '.join(TASK_NAMES)}")
        if not self.tasks:
            raise ReportError("a report needs at least one task")
        for what, values in (("cells", self.cells), ("tasks", self.tasks)):
            if len(set(values)) != len(values):
                raise ReportError(f"{what} may not repeat, got {', '.join(values)}")
        if not isinstance(self.seeds, int) or isinstance(self.seeds, bool) or not (
                1 <= self.seeds <= 100):
            raise ReportError(f"seeds must be an integer from 1 to 100, got {self.seeds!r}")
        if self.reference not in seeds.names():
            raise ReportError(f"reference {self.reference!r} is not a seed cell")
        self.protocols()  # a bad override is an error now, not in a worker

    @property
    def genomes(self) -> list[str]:
        """The cells trained: the table's cells and the reference, each once."""
        names = list(self.cells)
        if self.reference not in names:
            names.append(self.reference)
        return names

    @property
    def training_seeds(self) -> list[int]:
        return list(range(self.seeds))

    def protocols(self) -> dict[str, EvaluationProtocol]:
        """The protocol of each task."""
        result = {}
        for task in self.tasks:
            try:
                result[task] = preset_protocol(task, self.preset, **dict(self.overrides))
            except ProtocolError as error:
                raise ReportError(f"protocol of {task}: {error}") from None
        return result

    def evaluations(self) -> list[tuple[str, str, str, int]]:
        """Every (genome hash, task, protocol hash, seed) the report needs."""
        protocols = self.protocols()
        return [(seeds.get(name).hash, task, protocols[task].hash, seed)
                for name in self.genomes for task in self.tasks
                for seed in self.training_seeds]

    def to_dict(self) -> dict[str, Any]:
        return {"preset": self.preset, "cells": list(self.cells), "tasks": list(self.tasks),
                "seeds": self.seeds, "reference": self.reference,
                "overrides": dict(self.overrides)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReportPlan:
        known = {"preset", "cells", "tasks", "seeds", "reference", "overrides"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ReportError(f"unknown report plan field(s) {', '.join(unknown)}")
        return cls(**data)
