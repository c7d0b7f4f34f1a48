"""Named protocols per task: ``smoke`` (seconds, for tests), ``quick`` (the default), ``ptb``."""

from __future__ import annotations

from typing import Any

from evolve.evaluation.protocol import EvaluationProtocol, ProtocolError

__all__ = ["PRESETS", "preset_protocol"]

_COMMON: dict[str, dict[str, Any]] = {
    "smoke": {"units": 16, "train_steps": 30, "batch_size": 32, "valid_sequences": 64,
              "test_sequences": 64, "learning_rates": [0.02], "time_budget": 120.0},
    "quick": {"units": 32, "train_steps": 300, "batch_size": 32, "valid_sequences": 256,
              "test_sequences": 256, "learning_rates": [0.01], "time_budget": 300.0},
    "ptb": {"units": 128, "train_steps": 600, "batch_size": 32, "valid_sequences": 0,
            "test_sequences": 0, "learning_rates": [0.005], "time_budget": 1800.0},
}
_TASK_PARAMS: dict[str, dict[str, dict[str, Any]]] = {
    "smoke": {"memorization": {"length": 3, "alphabet": 4}, "arithmetic": {"digits": 1},
              "xml": {"length": 24, "max_depth": 2}, "ptb-word": {"steps": 20,
                                                                  "eval_tokens": 2000},
              "ptb-char": {"steps": 50, "eval_tokens": 5000}},
    "quick": {"memorization": {"length": 5, "alphabet": 8}, "arithmetic": {"digits": 2},
              "xml": {"length": 48, "max_depth": 3}, "ptb-word": {"steps": 35,
                                                                  "eval_tokens": 20000},
              "ptb-char": {"steps": 100, "eval_tokens": 50000}},
    "ptb": {"memorization": {"length": 5, "alphabet": 8}, "arithmetic": {"digits": 3},
            "xml": {"length": 64}, "ptb-word": {"steps": 35, "eval_tokens": 0},
            "ptb-char": {"steps": 100, "eval_tokens": 100000}},
}
#: The preset names.
PRESETS = tuple(_COMMON)


def preset_protocol(task: str, preset: str = "quick", **overrides: Any) -> EvaluationProtocol:
    """The protocol of ``preset`` for ``task``, with fields overridden.

    Example:
        >>> preset_protocol("memorization", "smoke", units=8).units
        8
    """
    if preset not in _COMMON:
        raise ProtocolError(f"unknown preset {preset!r}; the presets are {', '.join(PRESETS)}")
    fields = dict(_COMMON[preset])
    fields["task_params"] = dict(_TASK_PARAMS[preset].get(task, {}))
    task_overrides = overrides.pop("task_params", {})
    if not isinstance(task_overrides, dict):
        raise ProtocolError(f"task_params must be a table of names and values, got "
                            f"{task_overrides!r}")
    fields["task_params"].update(task_overrides)
    fields.update(overrides)
    return EvaluationProtocol.from_dict({"task": task, **fields})
