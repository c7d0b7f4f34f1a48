"""Benchmark tasks: deterministic synthetic data (the embedded default) and Penn Treebank.

Example:
    >>> task = make_task("memorization", length=3)
    >>> task.metric.name
    'accuracy'
"""

from __future__ import annotations

from typing import Any

from evolve.tasks._base import SPLITS, Metric, Split, Task
from evolve.tasks.arithmetic import Arithmetic
from evolve.tasks.memorization import Memorization
from evolve.tasks.ptb import DataError, PennTreebank, check_params, default_data_dir, read_text
from evolve.tasks.xml import Xml

__all__ = [
    "SPLITS",
    "TASK_NAMES",
    "Arithmetic",
    "DataError",
    "Memorization",
    "Metric",
    "PennTreebank",
    "Split",
    "Task",
    "Xml",
    "check_task",
    "default_data_dir",
    "make_task",
    "read_text",
]

_SYNTHETIC = {"memorization": Memorization, "arithmetic": Arithmetic, "xml": Xml}
#: Every task name ``make_task`` accepts.
TASK_NAMES = (*_SYNTHETIC, "ptb-word", "ptb-char")


def check_task(name: str, params: dict[str, Any]) -> None:
    """Raise ValueError unless ``name`` and ``params`` make a task; reads no data.

    Example:
        >>> check_task("xml", {"length": 64})
        >>> check_task("xml", {"lenght": 64})
        Traceback (most recent call last):
        ...
        ValueError: bad parameter for task xml: ...
    """
    if not isinstance(params, dict):
        raise ValueError(f"task parameters must be a table of names and values, got {params!r}")
    if name in _SYNTHETIC:
        make_task(name, **params)
        return
    if name in ("ptb-word", "ptb-char"):
        allowed = {"steps", "eval_tokens", "verify"}
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise ValueError(f"bad parameter for task {name}: {', '.join(unknown)}; the "
                             f"parameters are {', '.join(sorted(allowed))}")
        check_params(**{k: v for k, v in params.items() if k != "verify"})
        return
    raise ValueError(f"unknown task {name!r}; the tasks are: {', '.join(TASK_NAMES)}")


def make_task(name: str, data_dir: str | None = None, **params: Any) -> Task:
    """The task called ``name`` with the given parameters.

    Args:
        name: one of :data:`TASK_NAMES`.
        data_dir: where Penn Treebank is (PTB tasks only).
        **params: the task's difficulty parameters.

    Raises:
        ValueError: for an unknown task or parameter, naming the valid ones.
        DataError: when Penn Treebank cannot be found or read.
    """
    if name in _SYNTHETIC:
        cls = _SYNTHETIC[name]
        try:
            return cls(**params)
        except TypeError as error:
            raise ValueError(f"bad parameter for task {name}: {error}") from None
    if name in ("ptb-word", "ptb-char"):
        try:
            return PennTreebank(level=name.split("-")[1], data_dir=data_dir, **params)
        except TypeError as error:
            raise ValueError(f"bad parameter for task {name}: {error}") from None
    raise ValueError(f"unknown task {name!r}; the tasks are: {', '.join(TASK_NAMES)}")
