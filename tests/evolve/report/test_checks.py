"""The literature checks, on fabricated results whose verdicts are known."""

from __future__ import annotations

import json

import pytest

from evolve.evaluation import EvaluationResult, Status
from evolve.report import (
    CellTask,
    ReportPlan,
    ReportResults,
    forget_bias_check,
    greff_check,
    mutant_check,
    ptb_small_check,
)


def fabricated(bpc: dict[str, list[float | None]]) -> ReportResults:
    """Results on xml (bits per character, lower is better); None is a diverged seed."""
    cells = tuple(bpc)
    plan = ReportPlan(preset="smoke", cells=cells, tasks=("xml",),
                      seeds=len(next(iter(bpc.values()))))
    table = {}
    for cell, values in bpc.items():
        results = []
        for value in values:
            if value is None:
                results.append(EvaluationResult(status=Status.DIVERGED, task="xml", metric="bpc",
                                                higher_is_better=False, value=float("inf")))
            else:
                results.append(EvaluationResult(status=Status.DONE, task="xml", metric="bpc",
                                                higher_is_better=False, value=value,
                                                metrics={"test_bpc": value}))
        table[cell] = {"xml": CellTask(cell, "xml", tuple(results))}
    return ReportResults(plan, table, {"xml": ("bpc", False)},
                         dict.fromkeys(cells, 100), {"xml": 8})


PUBLISHED_LIKE = {"gru": [1.0, 1.0], "lstm": [1.0, 1.0], "np": [1.01, 1.01],
                  "cifg": [1.02, 1.02], "nig": [1.3, 1.3], "fgr": [1.25, 1.25],
                  "nfg": [2.0, 2.0], "noaf": [2.5, 2.5], "niaf": [2.2, 2.2], "nog": [3.0, 3.0]}


def verdict_line(lines: list[str]) -> str:
    return next(line for line in lines if line.startswith("- xml:"))


def test_greff_check_agrees_when_the_published_ranking_holds():
    lines = greff_check(fabricated(PUBLISHED_LIKE))
    row = next(line for line in lines if line.startswith("| `np`"))
    assert row == "| `np` | 0.990 |"
    verdict = verdict_line(lines)
    assert "close to lstm: np, cifg of np, cifg" in verdict
    assert "far behind: nfg, noaf, niaf, nog of" in verdict
    assert verdict.endswith("Agrees.")


def test_greff_check_says_where_it_disagrees():
    lines = greff_check(fabricated({**PUBLISHED_LIKE, "nog": [1.0, 1.0], "cifg": [1.2, 1.2]}))
    verdict = verdict_line(lines)
    assert "close to lstm: np of np, cifg" in verdict
    assert "far behind: nfg, noaf, niaf of" in verdict
    assert verdict.endswith("Disagrees in part.")


def test_greff_check_needs_its_cells_and_finished_results():
    assert greff_check(fabricated({"gru": [1.0], "lstm": [1.0]})) == []
    lines = greff_check(fabricated({**PUBLISHED_LIKE, "lstm": [1.0, None]}))
    assert "incomplete" in verdict_line(lines)


def test_forget_bias_check_measures_the_share_of_the_gap_closed():
    lines = forget_bias_check(fabricated({"gru": [1.0], "np": [1.2], "lstm_b": [1.05]}))
    assert "| `lstm_b` / `np` | 1.143 |" in lines
    # np is 1/1.2 of gru, lstm_b 1/1.05: (0.1667 - 0.0476) / 0.1667 of the gap is closed.
    assert "closes 71% of np's gap to gru (agrees)" in verdict_line(lines)
    lines = forget_bias_check(fabricated({"gru": [1.0], "np": [1.2], "lstm_b": [1.18]}))
    assert "(disagrees: less than half)" in verdict_line(lines)
    lines = forget_bias_check(fabricated({"gru": [1.0], "np": [1.2], "lstm_b": [0.9]}))
    assert "closes the whole gap" in verdict_line(lines)
    # np within 2% of gru: a "share of the gap" would be a share of noise.
    lines = forget_bias_check(fabricated({"gru": [1.0], "np": [1.01], "lstm_b": [1.1]}))
    assert "no gap to speak of" in verdict_line(lines)


def test_a_diverged_seed_counts_as_zero_in_ratios():
    results = fabricated({"gru": [1.0, 1.0], "np": [1.0, None]})
    assert results.ratio("np", "xml") == pytest.approx(0.5)
    assert results.table["np"]["xml"].mean_std() == (1.0, 0.0)


def test_ptb_small_check_quotes_the_last_epoch_and_the_speed_ratio(tmp_path):
    log = {kind: [{"epoch": e, "lr": 1.0, "train": 300.0, "valid": v, "test": v - 5,
                   "seconds": s} for e, v in ((1, 300.0), (2, 200.0))]
           for kind, s in (("genome", 90.0), ("keras", 100.0))}
    path = tmp_path / "curve.json"
    path.write_text(json.dumps(log))
    lines = ptb_small_check(path)
    assert "| `GenomeRNN(lstm_b)` | 2 | 200.0 | 195.0 | 90 |" in lines
    assert any("ours / Keras': 0.90" in line for line in lines)
    assert ptb_small_check(tmp_path / "missing.json") == []


def mutant_results(mut3_bpc: float) -> ReportResults:
    two_tasks = fabricated({"gru": [1.0], "mut1": [0.9], "mut2": [1.2], "mut3": [mut3_bpc]})
    # A second task on which every mutant is worse than the GRU.
    for cell, entry in list(two_tasks.table.items()):
        value = 1.0 if cell == "gru" else 1.5
        result = EvaluationResult(status=Status.DONE, task="ptb-char", metric="bpc",
                                  higher_is_better=False, value=value,
                                  metrics={"test_bpc": value})
        entry["ptb-char"] = CellTask(cell, "ptb-char", (result,))
    plan = ReportPlan(preset="smoke", cells=two_tasks.plan.cells, tasks=("xml", "ptb-char"),
                      seeds=1)
    return ReportResults(plan, two_tasks.table, {"xml": ("bpc", False),
                                                 "ptb-char": ("bpc", False)},
                         two_tasks.params, {"xml": 8, "ptb-char": 8})


def test_mutant_check_says_which_tasks_each_mutant_matches():
    lines = mutant_check(mutant_results(mut3_bpc=1.01))
    verdicts = [line for line in lines if line.startswith("- mut")]
    assert verdicts[0] == ("- mut1: matches or beats gru on xml (some, not all of the tasks; "
                           "agrees).")
    assert verdicts[1].startswith("- mut2: matches or beats gru on no task (none")
    assert verdicts[1].endswith("disagrees).")
    assert "- mut3: matches or beats gru on xml" in verdicts[2]  # 1/1.01 is within 2%
    assert mutant_check(fabricated({"gru": [1.0]})) == []


def test_one_seed_gets_no_made_up_spread_and_a_subset_says_so(tmp_path):
    from evolve.report import seed_table, write_seed_report

    results = fabricated({"gru": [1.0], "rnn": [1.25]})
    row = next(line for line in seed_table(results) if line.startswith("| `rnn`"))
    assert "| 1.250 |" in row and "±" not in row
    write_seed_report(results, tmp_path, plots=False)
    first = (tmp_path / "seeds.md").read_text().splitlines()[0]
    assert first == "# 2 seed cells on xml"
