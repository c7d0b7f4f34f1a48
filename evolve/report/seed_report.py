"""Writing a seed report: the Markdown table, the JSON numbers and the plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evolve.report._files import write_atomic
from evolve.report.checks import (
    forget_bias_check,
    greff_check,
    mutant_check,
    ptb_small_check,
)
from evolve.report.plots import plot_task_bars, plot_task_curves
from evolve.report.results import CellTask, ReportResults
from evolve.tasks import TASK_NAMES
from genome import seeds

__all__ = ["format_value", "seed_table", "write_seed_report"]


def format_value(value: float, metric: str) -> str:
    """A metric as the tables print it: perplexity with one decimal, the rest with three."""
    return f"{value:.1f}" if metric == "perplexity" else f"{value:.3f}"


def _cell_text(entry: CellTask, metric: str, seeds_asked: int) -> str:
    summary = entry.mean_std()
    failures = entry.failures
    if summary is None:
        if failures:
            kinds = sorted({f.status.value for f in failures})
            return f"{'/'.join(kinds)} ×{len(failures)}"
        return "not run yet" if entry.missing else "no result"
    mean, spread = summary
    text = format_value(mean, metric)
    if seeds_asked > 1:  # a spread over one seed would be a made-up zero
        text += f" ± {format_value(spread, metric)}"
    finished = len(entry.test_values())
    if finished < seeds_asked:
        text += f" ({finished}/{seeds_asked})"
    return text


def seed_table(results: ReportResults) -> list[str]:
    """The Markdown table: mean ± sd per task, parameters, score against the reference."""
    plan = results.plan
    headers = ["cell", "params"]
    for task in plan.tasks:
        name, higher = results.metrics[task]
        headers.append(f"{task} {name} {'↑' if higher else '↓'}")
    headers.append(f"score vs {plan.reference} ↑")
    lines = ["| " + " | ".join(headers) + " |",
             "| --- | " + " | ".join("---:" for _ in headers[1:]) + " |"]
    for cell in plan.cells:
        params = results.params[cell]
        row = [f"`{cell}`", "-" if params is None else f"{params:,}"]
        for task in plan.tasks:
            row.append(_cell_text(results.table[cell][task], results.metrics[task][0],
                                  plan.seeds))
        score = results.score(cell)
        row.append("-" if score is None else f"{score:.3f}")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _step_table(results: ReportResults) -> list[str]:
    plan = results.plan
    lines = ["| cell | " + " | ".join(plan.tasks) + " |",
             "| --- | " + " | ".join("---:" for _ in plan.tasks) + " |"]
    for cell in plan.cells:
        values = [results.table[cell][task].step_ms() for task in plan.tasks]
        lines.append(f"| `{cell}` | " + " | ".join(
            "-" if v is None else f"{v:.1f}" for v in values) + " |")
    return lines


def _protocol_lines(results: ReportResults) -> list[str]:
    lines = []
    for task, protocol in results.plan.protocols().items():
        fields = protocol.to_dict()
        lines.append(
            f"- `{task}`: {fields['units']} units × {fields['layers']} layer(s), "
            f"{fields['train_steps']} steps of batch {fields['batch_size']}, "
            f"{fields['optimizer']} at learning rate(s) "
            f"{', '.join(str(v) for v in fields['learning_rates'])}, clip "
            f"{fields['clip_norm']:g}, task parameters "
            f"`{json.dumps(fields['task_params'], sort_keys=True)}`; protocol "
            f"`{protocol.hash[:12]}`")
    return lines


def _numbers(results: ReportResults) -> dict[str, Any]:
    plan = results.plan
    cells = {}
    for cell in plan.genomes:
        tasks = {}
        for task in plan.tasks:
            entry = results.table[cell][task]
            summary = entry.mean_std()
            tasks[task] = {
                "values": entry.test_values(),
                "mean": None if summary is None else summary[0],
                "sd": None if summary is None else summary[1],
                "failures": [{"status": f.status.value, "error": f.error[:300]}
                             for f in entry.failures],
                "missing": entry.missing,
                "step_ms": entry.step_ms(),
                "ratio_to_reference": results.ratio(cell, task),
            }
        cells[cell] = {"params": results.params[cell], "hash": seeds.get(cell).hash,
                       "score": results.score(cell), "tasks": tasks}
    return {"plan": plan.to_dict(),
            "protocols": {t: p.to_dict() for t, p in plan.protocols().items()},
            "metrics": {t: {"name": n, "higher_is_better": h}
                        for t, (n, h) in results.metrics.items()},
            "cells": cells}


def write_seed_report(results: ReportResults, out: Path, *, plots: bool = True,
                      ptb_small: Path | None = None, command: str | None = None) -> list[Path]:
    """Write ``seeds.md``, ``seeds.json`` and (with ``plots``) PNGs under ``out/plots``.

    Args:
        results: what :func:`evolve.report.collect` gathered.
        out: the output directory (created).
        plots: draw the bar charts and learning curves (needs matplotlib).
        ptb_small: ``curve.json`` of ``benchmarks/ptb_small.py``, quoted in the checks.
        command: the command that regenerates the report, quoted in the text.

    Returns:
        The files written.
    """
    out.mkdir(parents=True, exist_ok=True)
    plan = results.plan
    written: list[Path] = []
    figures: list[Path] = []
    if plots:
        (out / "plots").mkdir(exist_ok=True)
        for task in plan.tasks:
            figures.append(plot_task_bars(results, task, out / "plots" / f"bars-{task}.png"))
            figures.append(plot_task_curves(results, task, out / "plots" / f"curves-{task}.png"))
        written += figures
    every = set(plan.cells) == set(seeds.names()) and set(plan.tasks) == set(TASK_NAMES)
    title = "Every seed cell on every task" if every else (
        f"{len(plan.cells)} seed cell{'s' * (len(plan.cells) > 1)} on "
        f"{', '.join(plan.tasks)}")
    reference_note = ("" if plan.reference in plan.cells else
                      f" (`{plan.reference}`, the reference, is trained too but not listed)")
    text = [
        f"# {title}",
        "",
        f"Each cell trained with {plan.seeds} training seed{'s' * (plan.seeds > 1)} "
        f"(0..{plan.seeds - 1}) on each task under the `{plan.preset}` protocol "
        f"preset{reference_note}. "
        "Each entry is the mean ± sample standard deviation over seeds of the task's "
        "headline metric on the test split (↑ higher is better, ↓ lower is better); "
        "`(n/k)` marks entries where only n of k seeds finished, and a failure is named "
        f"(diverged, timeout, failed). `params`: recurrent parameters at "
        f"{results.units[plan.tasks[0]]} units. `score vs {plan.reference}`: the campaigns' "
        f"combined score, the worst over tasks of the test-metric ratio to "
        f"`{plan.reference}` with the same seed (1.0 = as good).",
        "",
    ]
    if not results.complete:
        text += ["**Incomplete**: some evaluations have not finished; run the command below "
                 "again to finish them (finished ones are kept).", ""]
    text += [*seed_table(results), ""]
    text += ["Training time per step in milliseconds (forward, backward and update; the "
             "first, tracing step excluded; mean over seeds; these machines are shared, so "
             "compare within a column):", ""]
    text += [*_step_table(results), ""]
    text += ["## Protocols", "", *_protocol_lines(results), ""]
    checks = greff_check(results) + forget_bias_check(results) + mutant_check(results)
    if ptb_small is not None:
        checks += ptb_small_check(ptb_small)
    if checks:
        text += ["## Checks against the literature", "", *checks]
    if figures:
        text += ["## Plots", ""]
        text += [f"![{path.stem}](plots/{path.name})" for path in figures] + [""]
    if command:
        text += ["## Regenerate", "", "```bash", command, "```", "",
                 "Everything is stored in the database as it finishes; running the command "
                 "again trains only what is missing and rewrites these files.", ""]
    written.append(write_atomic(out / "seeds.md", "\n".join(text)))
    written.append(write_atomic(out / "seeds.json", json.dumps(_numbers(results), indent=2)))
    return written
