"""PNG plots of a report: bars with error bars per task, learning curves, campaign progress.

matplotlib is an optional dependency (``pip install 'rnn-cell-evolve[report]'``);
it is imported when a plot is drawn, with the Agg backend (no display needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from evolve.report.plan import ReportError
from evolve.report.results import ReportResults

__all__ = ["plot_best_over_time", "plot_task_bars", "plot_task_curves"]


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ReportError("plots need matplotlib: pip install 'rnn-cell-evolve[report]' "
                          "(or pass --no-plots)") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _label(results: ReportResults, task: str) -> str:
    name, higher = results.metrics[task]
    return f"test {name} ({'higher' if higher else 'lower'} is better)"


def plot_task_bars(results: ReportResults, task: str, path: Path) -> Path:
    """One bar per cell: mean test metric over seeds, error bar one standard deviation.

    A cell with no finished seed gets no bar and an ``x`` at the axis, so a
    failure is visible rather than missing.
    """
    plt = _pyplot()
    cells = list(results.plan.cells)
    figure, axes = plt.subplots(figsize=(max(6.0, 0.45 * len(cells) + 2), 4.2))
    means, spreads, failed = [], [], []
    for index, cell in enumerate(cells):
        summary = results.table[cell][task].mean_std()
        if summary is None:
            means.append(0.0)
            spreads.append(0.0)
            failed.append(index)
        else:
            means.append(summary[0])
            spreads.append(summary[1])
    colours = ["#c44e52" if cell == results.plan.reference else "#4c72b0" for cell in cells]
    axes.bar(range(len(cells)), means, yerr=spreads, color=colours, capsize=3,
             error_kw={"elinewidth": 1})
    if failed:
        axes.scatter(failed, [0.0] * len(failed), marker="x", color="black", zorder=3,
                     label="no finished seed")
        axes.legend(loc="best", fontsize=8)
    axes.set_xticks(range(len(cells)), cells, rotation=60, ha="right", fontsize=8)
    label = _label(results, task)
    shown = [(m - s, m + s) for i, (m, s) in enumerate(zip(means, spreads, strict=True))
             if i not in failed]
    if shown:
        low, high = min(lo for lo, _ in shown), max(hi for _, hi in shown)
        # Bars from 0 would hide differences of a few percent (bits per character
        # between 2.5 and 2.7, say): zoom in, and say so on the axis.
        if low > 0 and (high - low) < 0.5 * high and not failed:
            margin = 0.1 * (high - low) or 0.05 * high
            axes.set_ylim(low - margin, high + margin)
            label += "; axis not from 0"
    axes.set_ylabel(label, fontsize=9)
    seeds = results.plan.seeds
    axes.set_title(f"{task}: mean ± sd over {seeds} training seed{'s' * (seeds > 1)} "
                   f"(preset {results.plan.preset}, {results.units[task]} units)", fontsize=10)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_task_curves(results: ReportResults, task: str, path: Path) -> Path:
    """Training loss against step for every cell (mean over seeds), log-scaled loss."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(8.0, 4.8))
    colours = plt.get_cmap("tab20")
    drawn = 0
    for index, cell in enumerate(results.plan.cells):
        curve = results.table[cell][task].curve()
        if not curve:
            continue
        steps, losses = zip(*curve, strict=True)
        width = 2.2 if cell == results.plan.reference else 1.1
        axes.plot(steps, losses, label=cell, color=colours(index % 20), linewidth=width)
        drawn += 1
    axes.set_xlabel("training step")
    axes.set_ylabel("training loss (nats per target)")
    axes.set_yscale("log")
    axes.set_title(f"{task}: training loss, mean over seeds (preset {results.plan.preset})",
                   fontsize=10)
    axes.grid(alpha=0.3)
    if drawn:
        axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_best_over_time(orders: Sequence[int], scores: Sequence[float | None], title: str,
                        path: Path, marks: dict[str, float] | None = None) -> Path:
    """Best score so far against candidates evaluated, with reference lines in ``marks``."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7.0, 4.2))
    best, xs, ys = None, [], []
    for order, score in sorted(zip(orders, scores, strict=True)):
        if score is not None and (best is None or score > best):
            best = score
        if best is not None:
            xs.append(order + 1)
            ys.append(best)
    axes.step(xs, ys, where="post", label="best so far", color="#4c72b0")
    points = [(o + 1, s) for o, s in zip(orders, scores, strict=True) if s is not None]
    if points:
        axes.scatter(*zip(*points, strict=True), s=8, alpha=0.4, color="#4c72b0",
                     label="each candidate")
    for index, (name, value) in enumerate((marks or {}).items()):
        axes.axhline(value, linestyle="--", linewidth=1, color=f"C{index + 1}", label=name)
    axes.set_xlabel("candidates evaluated")
    axes.set_ylabel("score (ratio to the reference, higher is better)")
    axes.set_title(title, fontsize=10)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
