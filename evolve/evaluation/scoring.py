"""Scores relative to a reference cell, and their combination over tasks (higher is better)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from evolve.evaluation.result import EvaluationResult

__all__ = ["combine", "relative_score"]

_TINY = 1e-12


def relative_score(candidate: EvaluationResult, reference: EvaluationResult) -> float:
    """How the candidate compares with the reference on the same protocol.

    1.0 means as good as the reference, 2.0 twice as good: the ratio of the
    headline metrics, inverted for metrics where lower is better
    (perplexity, bits per character). A failed candidate scores 0.0.

    Raises:
        ValueError: if the two results are of different tasks or metrics, or
            the reference itself failed (then nothing can be compared).
    """
    if candidate.task != reference.task or (
            candidate.ok and candidate.metric != reference.metric):
        raise ValueError(f"cannot compare {candidate.task}/{candidate.metric} with "
                         f"{reference.task}/{reference.metric}")
    if not reference.ok:
        raise ValueError(f"the reference evaluation on {reference.task} did not finish "
                         f"({reference.status.value}: {reference.error}); no score can be "
                         f"relative to it")
    if not candidate.ok:
        return 0.0
    if candidate.higher_is_better:
        return candidate.value / max(reference.value, _TINY)
    return reference.value / max(candidate.value, _TINY)


def combine(ratios: Mapping[str, float], weights: Mapping[str, float] | None = None) -> float:
    """One score from per-task ratios: the minimum (Jozefowicz et al.) or a weighted mean.

    Example:
        >>> combine({"memorization": 1.2, "xml": 0.9})
        0.9
    """
    if not ratios:
        raise ValueError("no task scores to combine")
    values = {task: (0.0 if not math.isfinite(v) else v) for task, v in ratios.items()}
    if weights is None:
        return min(values.values())
    missing = set(values) - set(weights)
    if missing:
        raise ValueError(f"no weight for task(s) {', '.join(sorted(missing))}")
    total = sum(weights[t] for t in values)
    return sum(values[t] * weights[t] for t in values) / total
