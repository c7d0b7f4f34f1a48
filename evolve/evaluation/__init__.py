"""Evaluating candidates: protocols, training, failure statuses and relative scores.

TensorFlow is imported when :func:`evaluate` first runs, not when this package is imported.
"""

from evolve.evaluation.evaluate import evaluate, task_for
from evolve.evaluation.presets import PRESETS, preset_protocol
from evolve.evaluation.protocol import EvaluationProtocol, ProtocolError
from evolve.evaluation.result import EvaluationResult, Status
from evolve.evaluation.scoring import combine, relative_score

__all__ = [
    "PRESETS",
    "EvaluationProtocol",
    "EvaluationResult",
    "ProtocolError",
    "Status",
    "combine",
    "evaluate",
    "preset_protocol",
    "relative_score",
    "task_for",
]
