"""DEAP ``creator`` classes, made once here and importable by every worker process.

DEAP's creator registers classes as module attributes of ``deap.creator``;
creating them at import of this module (and only if absent) keeps that global
registration in one place and makes the classes picklable by reference.
"""

from __future__ import annotations

from deap import base, creator

__all__ = ["Candidate", "ScoreAndSize"]

if not hasattr(creator, "ScoreAndSize"):
    # Maximise the score, minimise the parameter count (NSGA-II's two objectives).
    creator.create("ScoreAndSize", base.Fitness, weights=(1.0, -1.0))
if not hasattr(creator, "Candidate"):
    creator.create("Candidate", object, fitness=creator.ScoreAndSize)

ScoreAndSize = creator.ScoreAndSize
Candidate = creator.Candidate
