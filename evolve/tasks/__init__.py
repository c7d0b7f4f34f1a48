"""Benchmark tasks: deterministic synthetic data (the embedded default) and Penn Treebank.

Example:
    >>> task = make_task("memorization", length=3)
    >>> task.metric.name
    'accuracy'
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import inspect
import typing
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
    "canonical_task_params",
    "check_task",
    "default_data_dir",
    "make_task",
    "read_text",
    "task_metric",
    "task_parameters",
]

_SYNTHETIC = {"memorization": Memorization, "arithmetic": Arithmetic, "xml": Xml}
#: Every task name ``make_task`` accepts.
TASK_NAMES = (*_SYNTHETIC, "ptb-word", "ptb-char")


def check_task(name: str, params: dict[str, Any]) -> None:
    """Raise ValueError unless ``name`` and ``params`` make a task; reads no data.

    Example:
        >>> check_task("xml", {"length": 64})
        >>> check_task("xml", {"lenght": 64})  # doctest: +ELLIPSIS
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
        _check_names(name, params)
        check_params(**params)
        return
    raise ValueError(f"unknown task {name!r}; the tasks are: {', '.join(TASK_NAMES)}")


# PennTreebank's constructor takes these too, but they are not difficulty
# parameters: the level comes from the task's name, the directory is where
# the data is, not what it is.
_PTB_NOT_PARAMETERS = ("self", "level", "data_dir")


def task_parameters(name: str) -> dict[str, tuple[type, Any]]:
    """Task ``name``'s parameters: name -> (declared type, default), in declaration order.

    The declaration is the task constructor's keyword arguments, so a new
    parameter needs no second list to keep in step.

    Example:
        >>> task_parameters("arithmetic")["distractor_rate"]
        (<class 'float'>, 0.5)
    """
    return dict(_declared(name))  # a copy: the cached one is shared


@functools.cache
def _declared(name: str) -> dict[str, tuple[type, Any]]:
    if name in _SYNTHETIC:
        constructor, skip = _SYNTHETIC[name].__init__, ("self",)
    elif name in ("ptb-word", "ptb-char"):
        constructor, skip = PennTreebank.__init__, _PTB_NOT_PARAMETERS
    else:
        raise ValueError(f"unknown task {name!r}; the tasks are: {', '.join(TASK_NAMES)}")
    hints = typing.get_type_hints(constructor)
    return {parameter.name: (hints[parameter.name], parameter.default)
            for parameter in inspect.signature(constructor).parameters.values()
            if parameter.name not in skip}


def canonical_task_params(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` checked, with every omitted parameter at its default and floats as floats.

    Two spellings of the same task (``distractor_rate=1`` and ``1.0``; a
    default spelled out or left out) give the same dictionary, so the
    evaluation protocol's hash does not depend on the spelling.

    Raises:
        ValueError: as :func:`check_task`.

    Example:
        >>> canonical_task_params("arithmetic", {"distractor_rate": 1})
        {'digits': 3, 'distractor_rate': 1.0}
    """
    if not isinstance(params, dict):
        raise ValueError(f"task parameters must be a table of names and values, got {params!r}")
    declared = _declared(name)
    result = {key: default for key, (_, default) in declared.items()}
    for key, value in params.items():
        kind = declared.get(key, (None, None))[0]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            # One too large for a float is left for the task's range check to reject.
            with contextlib.suppress(OverflowError):
                value = float(value)
        result[key] = value
    check_task(name, result)
    return result


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
    if name not in TASK_NAMES:
        raise ValueError(f"unknown task {name!r}; the tasks are: {', '.join(TASK_NAMES)}")
    _check_names(name, params)
    if name in _SYNTHETIC:
        return _SYNTHETIC[name](**params)
    return PennTreebank(level=name.split("-")[1], data_dir=data_dir, **params)


def _check_names(name: str, params: dict[str, Any]) -> None:
    """Raise ValueError naming the unknown parameters and listing the task's own.

    Checked against the declaration rather than by catching the constructor's
    TypeError, whose text names the class and not what the task accepts.
    """
    declared = _declared(name)
    unknown = [key for key in params if key not in declared]
    if not unknown:
        return
    hints = []
    for key in unknown:
        close = difflib.get_close_matches(str(key), declared, n=1)
        hints.append(f"{key} (did you mean {close[0]}?)" if close else str(key))
    raise ValueError(f"bad parameter for task {name}: {', '.join(hints)}; the parameters are "
                     f"{', '.join(sorted(declared))}")


def task_metric(name: str) -> Metric:
    """The headline metric of task ``name``, without building the task or reading data.

    Example:
        >>> task_metric("ptb-word")
        Metric(name='perplexity', higher_is_better=False)
    """
    if name in _SYNTHETIC:
        return _SYNTHETIC[name].metric
    if name in ("ptb-word", "ptb-char"):
        return PennTreebank.metric_for(name)
    raise ValueError(f"unknown task {name!r}; the tasks are: {', '.join(TASK_NAMES)}")
