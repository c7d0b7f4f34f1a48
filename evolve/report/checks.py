"""The report's checks against the literature, computed from what was measured.

Each check states the published finding, the numbers we measured under the
report's protocol, and whether they agree; a disagreement is reported as such.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

from evolve.report.results import ReportResults

__all__ = ["CLOSE", "FAR", "NEGLIGIBLE", "forget_bias_check", "greff_check",
           "mutant_check", "ptb_small_check"]

#: A cell "stays close" to another when its ratio to it is at least this.
CLOSE = 0.95
#: A cell "falls far behind" another when its ratio to it is below this.
FAR = 0.80
#: Ratios this close to 1 are within the seed-to-seed spread of these tasks.
NEGLIGIBLE = 0.02

# lstm-odyssey's PTB ranking (REFERENCES.md): {np, cifg, vanilla} << {nig, fgr} <<
# {niaf, noaf, nfg, nog}.
_NEAR = ("np", "cifg")
_MIDDLE = ("nig", "fgr")
_BEHIND = ("nfg", "noaf", "niaf", "nog")


def _ratio_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _available(results: ReportResults, cells: tuple[str, ...]) -> bool:
    return all(cell in results.table for cell in cells)


def greff_check(results: ReportResults) -> list[str]:
    """Greff et al. / lstm-odyssey: do np and cifg stay close to lstm, the others fall behind?"""
    cells = ("lstm", *_NEAR, *_MIDDLE, *_BEHIND)
    if not _available(results, cells):
        return []
    tasks = results.plan.tasks
    lines = [
        "### LSTM ablations (Greff et al.; lstm-odyssey on PTB)",
        "",
        "Published: no variant clearly beats the vanilla LSTM; NP and CIFG cost little; "
        "without the forget gate (NFG), the output gate (NOG), the input activation (NIAF) "
        "or the output activation (NOAF) the LSTM falls far behind; lstm-odyssey's PTB "
        "ranking is {np, cifg, lstm} ≪ {nig, fgr} ≪ {niaf, noaf, nfg, nog}.",
        "",
        f"Measured: each ablation's test metric relative to `lstm` (same training seeds; "
        f"1.0 = as good, above 1 better; 'close' means ≥ {CLOSE}, 'far behind' < {FAR}).",
        "",
        "| cell | " + " | ".join(tasks) + " |",
        "| --- | " + " | ".join("---:" for _ in tasks) + " |",
    ]
    ratios = {cell: {task: results.ratio(cell, task, against="lstm") for task in tasks}
              for cell in cells[1:]}
    for cell, row in ratios.items():
        lines.append(f"| `{cell}` | " + " | ".join(_ratio_text(row[t]) for t in tasks) + " |")
    lines.append("")
    for task in tasks:
        lines.append(f"- {task}: " + _greff_verdict({c: ratios[c][task] for c in ratios}))
    lines.append("")
    return lines


def _greff_verdict(ratio: dict[str, float | None]) -> str:
    if any(value is None for value in ratio.values()):
        return "incomplete (some evaluations have not finished, or `lstm` failed)."
    near = [c for c in _NEAR if ratio[c] >= CLOSE]
    behind = [c for c in _BEHIND if ratio[c] < FAR]
    parts = [
        f"close to lstm: {', '.join(near) or 'none'} of {', '.join(_NEAR)}",
        f"far behind: {', '.join(behind) or 'none'} of {', '.join(_BEHIND)}",
    ]
    groups = [statistics.fmean(ratio[c] for c in group) for group in (_NEAR, _MIDDLE, _BEHIND)]
    ordered = groups[0] >= groups[1] >= groups[2]
    parts.append(f"group means {groups[0]:.3f} / {groups[1]:.3f} / {groups[2]:.3f} "
                 f"({'the published order' if ordered else 'not the published order'})")
    agrees = len(near) == len(_NEAR) and len(behind) == len(_BEHIND) and ordered
    return "; ".join(parts) + (". Agrees." if agrees else ". Disagrees in part.")


def forget_bias_check(results: ReportResults) -> list[str]:
    """Jozefowicz et al.: a forget bias of 1 closes most of the LSTM's gap to the GRU."""
    if not _available(results, ("lstm_b", "np", "gru")):
        return []
    tasks = results.plan.tasks
    lines = [
        "### Forget-gate bias (Jozefowicz et al.)",
        "",
        "Published: initialising the forget-gate bias to 1 closes most of the gap between "
        "the LSTM and the GRU. `lstm_b` is `np` (no peepholes) with forget bias 1.",
        "",
        "| ratio | " + " | ".join(tasks) + " |",
        "| --- | " + " | ".join("---:" for _ in tasks) + " |",
    ]
    pairs = [("lstm_b", "np"), ("np", "gru"), ("lstm_b", "gru")]
    ratios = {pair: {task: results.ratio(pair[0], task, against=pair[1]) for task in tasks}
              for pair in pairs}
    for (cell, against), row in ratios.items():
        lines.append(f"| `{cell}` / `{against}` | "
                     + " | ".join(_ratio_text(row[t]) for t in tasks) + " |")
    lines.append("")
    for task in tasks:
        bias, before, after = (ratios[pair][task] for pair in pairs)
        if None in (bias, before, after):
            lines.append(f"- {task}: incomplete.")
            continue
        gap_before, gap_after = 1.0 - before, 1.0 - after
        if abs(gap_before) < NEGLIGIBLE:
            verdict = (f"np is within {100 * NEGLIGIBLE:.0f}% of gru here (np/gru "
                       f"{before:.3f}), so there is no gap to speak of; lstm_b/gru "
                       f"{after:.3f}.")
        elif gap_before < 0:
            verdict = ("np is already at least as good as gru here, so there is no gap to "
                       "close; the bias " + ("helps" if bias > 1 else "does not help") + ".")
        elif after >= 1.0:
            verdict = "lstm_b matches or beats gru: the bias closes the whole gap (agrees)."
        else:
            closed = (gap_before - gap_after) / gap_before
            verdict = (f"the bias closes {100 * closed:.0f}% of np's gap to gru"
                       + (" (agrees)." if closed >= 0.5 else " (disagrees: less than half)."))
        lines.append(f"- {task}: lstm_b/np {bias:.3f}; {verdict}")
    lines.append("")
    return lines


def mutant_check(results: ReportResults) -> list[str]:
    """Jozefowicz et al.: MUT1-3 match or beat the GRU on some tasks, none on all."""
    mutants = ("mut1", "mut2", "mut3")
    if not _available(results, (*mutants, "gru")):
        return []
    tasks = results.plan.tasks
    lines = [
        "### The evolved cells MUT1-3 (Jozefowicz et al.)",
        "",
        "Published: each of MUT1-3 matches or beats the GRU on some tasks, and none on all "
        f"of them. Measured: test-metric ratio to `gru` ('matches' means ≥ {1 - NEGLIGIBLE:g}).",
        "",
        "| cell | " + " | ".join(tasks) + " |",
        "| --- | " + " | ".join("---:" for _ in tasks) + " |",
    ]
    verdicts = []
    for cell in mutants:
        ratios = [results.ratio(cell, task, against="gru") for task in tasks]
        lines.append(f"| `{cell}` | " + " | ".join(_ratio_text(r) for r in ratios) + " |")
        if any(r is None for r in ratios):
            verdicts.append(f"- {cell}: incomplete.")
            continue
        matched = [t for t, r in zip(tasks, ratios, strict=True) if r >= 1 - NEGLIGIBLE]
        shape = ("some, not all" if 0 < len(matched) < len(tasks)
                 else "all" if matched else "none")
        agrees = shape == "some, not all"
        verdicts.append(f"- {cell}: matches or beats gru on {', '.join(matched) or 'no task'} "
                        f"({shape} of the tasks; {'agrees' if agrees else 'disagrees'}).")
    lines += ["", *verdicts, ""]
    return lines


def ptb_small_check(curve_file: Path) -> list[str]:
    """The PTB "small" configuration benchmark, read from its ``curve.json``."""
    try:
        log = json.loads(curve_file.read_text())
    except (OSError, ValueError):
        return []
    lines = [
        "### PTB \"small\" configuration (Zaremba et al.; TensorFlow's PTB tutorial)",
        "",
        "Published: validation 121.4, test 115.9 perplexity after 13 epochs (2 × 200 LSTM, "
        "forget bias 0). Measured by `benchmarks/ptb_small.py` (forget bias 1 in both "
        "models):",
        "",
        "| model | epochs | valid | test | s/epoch |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    names = {"genome": "`GenomeRNN(lstm_b)`", "keras": "`keras.layers.LSTM`"}
    seconds = {}
    for kind, entries in log.items():
        if not entries:
            continue
        last = entries[-1]
        seconds[kind] = statistics.fmean(e["seconds"] for e in entries)
        lines.append(f"| {names.get(kind, kind)} | {last['epoch']} | {last['valid']:.1f} | "
                     f"{last['test']:.1f} | {seconds[kind]:.0f} |")
    lines.append("")
    if {"genome", "keras"} <= seconds.keys() and all(
            math.isfinite(s) and s > 0 for s in seconds.values()):
        lines.append(f"Seconds per epoch, ours / Keras': "
                     f"{seconds['genome'] / seconds['keras']:.2f} (same run, interleaved).")
        lines.append("")
    return lines
