"""A campaign's report: the best cells found, their equations, scores beside the seeds, progress."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evolve.campaign.config import failures_phrase, own_evaluations
from evolve.evaluation import EvaluationProtocol
from evolve.report._files import write_atomic
from evolve.report.plan import ReportError
from evolve.report.plots import plot_best_over_time
from evolve.report.seed_report import format_value
from evolve.store import EvaluationStatus, Store
from genome import Genome, seeds

__all__ = ["CampaignReport", "compare_names", "gather_campaign", "write_campaign_report"]

_FAILED = (EvaluationStatus.DIVERGED, EvaluationStatus.TIMEOUT, EvaluationStatus.FAILED)


class CampaignReport(dict):
    """The numbers of a campaign report (a JSON-ready dictionary)."""


def gather_campaign(store: Store, name: str, k: int = 10,
                    seed_scores: dict[str, float | None] | None = None,
                    training_seeds: Sequence[int] | None = None) -> CampaignReport:
    """Read what a campaign found: its best members, its progress and its counts.

    Args:
        store: the campaign's database.
        name: the campaign.
        k: how many of the best members to list.
        seed_scores: scores of seed cells under the campaign's protocols and scoring
            (from :meth:`evolve.campaign.Campaign.score_genomes`), shown beside the best.
        training_seeds: the campaign's training seeds; each listed cell's headline
            value per task is the mean of its validation values under them.

    Raises:
        ReportError: ``name`` is a report rather than an evolution campaign.
    """
    record = store.campaign(name)
    config = record.config.get("campaign")
    if config is None:
        raise ReportError(f"{name!r} is not an evolution campaign (it has no campaign "
                          f"configuration); `evolve status` lists the campaigns")
    members = store.members(name)
    by_hash = {m.genome_hash: m for m in members}
    protocols = {task: EvaluationProtocol.from_dict(data).hash
                 for task, data in record.config.get("protocols", {}).items()}

    def values(genome_hash: str) -> dict[str, float | None]:
        return _task_values(store, genome_hash, protocols, training_seeds)

    best = []
    for row in store.best(campaign=name, k=k):
        cell = row.genome
        seed_name = _seed_name(cell)
        best.append({"rank": row.rank, "score": row.score, "hash": row.hash,
                     "text": str(cell), "latex": cell.to_latex(),
                     "params": _params(cell, record.config), "seed": seed_name,
                     "origin": by_hash[row.hash].origin.value if row.hash in by_hash else None,
                     "generation": by_hash[row.hash].generation if row.hash in by_hash
                     else None, "values": values(row.hash)})
    counts = store.evaluation_counts(campaign=name,
                                     **own_evaluations(record.config, record.seed))
    stats = record.stats or {}
    return CampaignReport(
        name=name, status=record.status.value, strategy=config.get("strategy"),
        budget=config.get("budget"), reference=config.get("reference", "gru"),
        tasks=[t.get("task") for t in config.get("tasks", [])],
        candidates=len(members),
        evaluations=sum(n for s, n in counts.items() if s.final),
        failures=sum(n for s, n in counts.items() if s in _FAILED),
        failure_kinds={s.value: n for s, n in counts.items() if s in _FAILED and n},
        duplicates={k.split(":", 1)[1]: v for k, v in stats.items()
                    if k.startswith("duplicate:")},
        rejections={k.split(":", 1)[1]: v for k, v in stats.items()
                    if k.startswith("rejected:")},
        progress=[(m.birth_order, m.score) for m in sorted(members, key=lambda m: m.birth_order)],
        best=best, seed_scores=dict(seed_scores or {}),
        metrics={task: _metric_name(task) for task in protocols},
        seed_values={cell: values(seeds.get(cell).hash) for cell in seed_scores or {}})


def _metric_name(task: str) -> str:
    from evolve.tasks import task_metric

    return task_metric(task).name


def _task_values(store: Store, genome_hash: str, protocols: dict[str, str],
                 training_seeds: Sequence[int] | None) -> dict[str, float | None]:
    """Mean validation headline value per task under the campaign's protocols (finished only)."""
    wanted = None if training_seeds is None else set(training_seeds)
    found: dict[str, list[float]] = {task: [] for task in protocols}
    for evaluation in store.evaluations(genome_hash):
        if (protocols.get(evaluation.task) != evaluation.protocol_hash
                or evaluation.status is not EvaluationStatus.DONE
                or (wanted is not None and evaluation.seed not in wanted)):
            continue
        value = (evaluation.metrics or {}).get("value")
        if isinstance(value, int | float) and math.isfinite(value):
            found[evaluation.task].append(float(value))
    return {task: statistics.fmean(v) if v else None for task, v in found.items()}


def _seed_name(cell: Genome) -> str | None:
    for name in seeds.names():
        if seeds.get(name).hash == cell.hash:
            return name
    return None


def _params(cell: Genome, config: dict[str, Any]) -> int | None:
    protocols = list(config.get("protocols", {}).values())
    if not protocols:
        return None
    first = protocols[0]
    units = first.get("units", 64)
    try:
        return cell.param_count(first.get("embedding") or units, units)
    except ValueError:
        return None


def write_campaign_report(report: CampaignReport, out: Path, *, plots: bool = True,
                          command: str | None = None) -> list[Path]:
    """Write ``campaign-NAME.md``, its JSON and its best-score plot under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in report["name"])
    written: list[Path] = []
    figure = None
    if plots:
        (out / "plots").mkdir(exist_ok=True)
        marks = {f"{name} (seed)": score for name, score in report["seed_scores"].items()
                 if score is not None}
        orders = [order for order, _ in report["progress"]]
        scores = [score for _, score in report["progress"]]
        figure = plot_best_over_time(
            orders, scores, f"campaign {report['name']}: best score over candidates",
            out / "plots" / f"campaign-{slug}.png", marks)
        written.append(figure)
    metrics = report["metrics"]
    lines = [f"# Campaign `{report['name']}`", ""]
    duplicates = sum(report["duplicates"].values())
    lines += [
        f"{report['strategy']} search on {', '.join(report['tasks'])}; status "
        f"{report['status']}; {report['candidates']}/{report['budget']} candidates, "
        f"{report['evaluations']} evaluations, "
        f"{failures_phrase(report['failures'], report.get('failure_kinds', {}))}, {duplicates} "
        f"duplicates skipped"
        + (f" ({', '.join(f'{k} {v}' for k, v in report['duplicates'].items())})"
           if duplicates else "") + ".",
        "",
        f"Scores are the campaign's own: the worst over tasks of the ratio to "
        f"`{report['reference']}` under the same protocol (1.0 = as good, higher is better).",
        "",
        "## Best cells found",
        "",
        f"Per task: the validation {', '.join(f'{m} ({t})' for t, m in metrics.items())}, "
        "mean over the campaign's training seeds.",
        "",
        "| rank | score | params | " + "".join(f"{t} | " for t in metrics)
        + "genome | origin | equations |",
        "| ---: | ---: | ---: | " + "---: | " * len(metrics) + "--- | --- | --- |",
    ]
    for row in report["best"]:
        equations = "<br>".join(f"`{line}`" for line in row["text"].splitlines())
        label = row["hash"][:12] + (f" (seed `{row['seed']}`)" if row["seed"] else "")
        params = "-" if row["params"] is None else f"{row['params']:,}"
        lines.append(f"| {row['rank']} | {row['score']:.3f} | {params} | "
                     + _values_cells(row["values"], metrics)
                     + f"{label} | {row['origin'] or '-'} | {equations} |")
    lines.append("")
    if report["seed_scores"]:
        lines += ["## The seeds under the same protocol", "",
                  "| cell | score | " + "".join(f"{t} | " for t in metrics),
                  "| --- | ---: | " + "---: | " * len(metrics)]
        for name, score in report["seed_scores"].items():
            lines.append(f"| `{name}` | {'-' if score is None else f'{score:.3f}'} | "
                         + _values_cells(report["seed_values"].get(name, {}), metrics))
        lines.append("")
    if report["best"]:
        top = report["best"][0]
        lines += ["## The best cell", "", "```", top["text"], "```", "", "$$", top["latex"],
                  "$$", "", f"`evolve show {top['hash'][:12]}` for its evaluations and "
                  f"lineage; `evolve export {top['hash'][:12]} --out cell.keras` for a "
                  f"Keras model with it.", ""]
    if figure is not None:
        lines += [f"![best score over candidates](plots/{figure.name})", ""]
    if report["rejections"]:
        lines += ["Invalid offspring rejected (never evaluated): " + ", ".join(
            f"{k} {v}" for k, v in sorted(report["rejections"].items(),
                                          key=lambda item: -item[1])) + ".", ""]
    if command:
        lines += ["Regenerate: `" + command + "`", ""]
    written.append(write_atomic(out / f"campaign-{slug}.md",
                                "\n".join(line.rstrip() for line in lines)))
    written.append(write_atomic(out / f"campaign-{slug}.json", json.dumps(report, indent=2)))
    return written


def _values_cells(values: dict[str, float | None], metrics: dict[str, str]) -> str:
    cells = []
    for task, metric in metrics.items():
        value = values.get(task)
        cells.append("-" if value is None else format_value(value, metric))
    return "".join(f"{cell} | " for cell in cells)


def compare_names(text: str | None) -> Sequence[str]:
    """The seed cells to score beside a campaign's best (comma-separated names)."""
    names = [n.strip() for n in (text or "gru,lstm,lstm_b").split(",") if n.strip()]
    unknown = [n for n in names if n not in seeds.names()]
    if unknown:
        raise ReportError(f"unknown seed cell(s) {', '.join(unknown)}; the seeds are "
                          f"{', '.join(seeds.names())}")
    return names
