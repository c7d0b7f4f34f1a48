"""A report's stored results, gathered per (cell, task), with the statistics the table shows."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from evolve.evaluation import EvaluationResult, Status
from evolve.report.plan import ReportPlan
from evolve.store import EvaluationRecord, Store
from genome import seeds

__all__ = ["CellTask", "ReportResults", "collect"]


@dataclass(frozen=True)
class CellTask:
    """The results of one cell on one task, one entry per training seed (None: not run yet)."""

    cell: str
    task: str
    results: tuple[EvaluationResult | None, ...]

    @property
    def done(self) -> list[EvaluationResult]:
        return [r for r in self.results if r is not None and r.ok]

    @property
    def failures(self) -> list[EvaluationResult]:
        return [r for r in self.results if r is not None and not r.ok]

    @property
    def missing(self) -> int:
        return sum(1 for r in self.results if r is None)

    def test_values(self) -> list[float]:
        """The headline metric on the test split, per finished seed."""
        values = []
        for result in self.done:
            value = result.metrics.get(f"test_{result.metric}")
            if value is not None and math.isfinite(value):
                values.append(float(value))
        return values

    def mean_std(self) -> tuple[float, float] | None:
        """Mean and sample standard deviation over seeds (0 for a single seed)."""
        values = self.test_values()
        if not values:
            return None
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        return statistics.fmean(values), spread

    def step_ms(self) -> float | None:
        """Training time per step (tracing excluded), mean over finished seeds, in ms."""
        times = [r.metrics["step_seconds"] for r in self.done
                 if r.metrics.get("step_seconds") is not None]
        return 1000.0 * statistics.fmean(times) if times else None

    def curve(self) -> list[tuple[int, float]]:
        """The training-loss curve averaged over the seeds that recorded the same steps."""
        curves = [r.metrics.get("curve") or [] for r in self.done]
        curves = [c for c in curves if c]
        if not curves:
            return []
        steps = [point[0] for point in curves[0]]
        same = [c for c in curves if [point[0] for point in c] == steps]
        return [(step, statistics.fmean(c[index][1] for c in same))
                for index, step in enumerate(steps)]


@dataclass(frozen=True)
class ReportResults:
    """Everything a seed report shows, read from the store.

    Attributes:
        plan: what was asked for.
        table: ``table[cell][task]``, for every cell of the plan and the reference.
        metrics: the headline metric of each task and whether higher is better.
        params: recurrent parameters of each cell at the plan's widths.
        units: the hidden width the cells were trained at, per task.
    """

    plan: ReportPlan
    table: dict[str, dict[str, CellTask]]
    metrics: dict[str, tuple[str, bool]]
    params: dict[str, int | None]
    units: dict[str, int]

    @property
    def complete(self) -> bool:
        return all(entry.missing == 0 for row in self.table.values() for entry in row.values())

    def ratio(self, cell: str, task: str, against: str | None = None) -> float | None:
        """Mean over seeds of ``cell``'s test metric relative to ``against`` (same seed).

        1.0: as good as the other cell; above 1: better (inverted for metrics
        where lower is better, as campaign scores are); a failed seed counts 0.
        None when the other cell has no finished result for a seed.
        """
        against = against or self.plan.reference
        name, higher = self.metrics[task]
        mine = self.table[cell][task].results
        theirs = self.table[against][task].results
        ratios = []
        for own, other in zip(mine, theirs, strict=True):
            if other is None or not other.ok or own is None:
                return None
            reference = other.metrics.get(f"test_{name}")
            if reference is None:
                return None
            value = own.metrics.get(f"test_{name}") if own.ok else None
            if value is None or not math.isfinite(value) or (value <= 0 and not higher):
                ratios.append(0.0)
            elif higher:
                ratios.append(value / max(reference, 1e-12))
            else:
                ratios.append(reference / value)
        return statistics.fmean(ratios) if ratios else None

    def score(self, cell: str) -> float | None:
        """The campaigns' combined score: the worst ratio to the reference over tasks."""
        ratios = [self.ratio(cell, task) for task in self.plan.tasks]
        if any(r is None for r in ratios):
            return None
        return min(ratios)


def collect(store: Store, plan: ReportPlan) -> ReportResults:
    """Read the plan's evaluations from ``store`` (whatever has finished so far)."""
    protocols = plan.protocols()
    table: dict[str, dict[str, CellTask]] = {}
    params: dict[str, int | None] = {}
    first = protocols[plan.tasks[0]]
    for name in plan.genomes:
        cell = seeds.get(name)
        by_key = _by_key(store, cell.hash)
        table[name] = {}
        for task in plan.tasks:
            results = tuple(_result(by_key.get((task, protocols[task].hash, seed)))
                            for seed in plan.training_seeds)
            table[name][task] = CellTask(name, task, results)
        try:
            params[name] = cell.param_count(first.embedding_width, first.units)
        except ValueError:  # a cell that needs input width == units at other widths
            params[name] = None
    metrics = {task: _metric_of(task) for task in plan.tasks}
    units = {task: protocol.units for task, protocol in protocols.items()}
    return ReportResults(plan, table, metrics, params, units)


def _by_key(store: Store, genome_hash: str) -> dict[tuple[str, str, int], EvaluationRecord]:
    try:
        records = store.evaluations(genome_hash)
    except LookupError:  # the genome was never stored: nothing has run yet
        return {}
    return {(r.task, r.protocol_hash, r.seed): r for r in records}


def _result(record: EvaluationRecord | None) -> EvaluationResult | None:
    """The stored result, a failure for a final record without one, None while open."""
    if record is None or not record.status.final:
        return None
    if record.metrics and "status" in record.metrics:
        return EvaluationResult.from_dict(record.metrics)
    status = Status(record.status.value) if record.status.value != "done" else Status.FAILED
    return EvaluationResult(status=status, task=record.task, metric="", higher_is_better=True,
                            value=0.0, error=record.error or "no result stored")


def _metric_of(task: str) -> tuple[str, bool]:
    from evolve.tasks import task_metric

    metric = task_metric(task)
    return metric.name, metric.higher_is_better
