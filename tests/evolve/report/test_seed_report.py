"""evolve report: the plan, the stored and resumable run, the table, the plots, the JSON."""

from __future__ import annotations

import json
import statistics

import pytest

from evolve.campaign import WorkerOptions, run_one
from evolve.report import (
    ReportError,
    ReportPlan,
    collect,
    prepare_report,
    run_report,
    write_seed_report,
)
from evolve.store import Store
from genome import seeds

PNG = b"\x89PNG\r\n\x1a\n"
# Seconds per evaluation: 8 units, 12 steps.
TINY = {"units": 8, "train_steps": 12, "valid_sequences": 32, "test_sequences": 32}


def tiny_plan(**changes) -> ReportPlan:
    fields = {"preset": "smoke", "cells": ("gru", "rnn"), "tasks": ("memorization",),
              "seeds": 2, "overrides": TINY}
    fields.update(changes)
    return ReportPlan(**fields)


@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'report.db'}")
    yield store
    store.close()


@pytest.mark.parametrize(("changes", "message"), [
    ({"cells": ("gru", "lstmm")}, "unknown cell(s) lstmm"),
    ({"tasks": ("memorisation",)}, "unknown task(s) memorisation"),
    ({"seeds": 0}, "seeds must be an integer from 1 to 100"),
    ({"cells": ("gru", "gru")}, "cells may not repeat"),
    ({"preset": "huge"}, "preset 'huge' unknown"),
    ({"overrides": {"units": -3}}, "protocol of memorization: units must be"),
    ({"reference": "nope"}, "reference 'nope' is not a seed"),
])
def test_bad_plans_are_clear_errors(changes, message):
    with pytest.raises(ReportError) as error:
        tiny_plan(**changes)
    assert message in str(error.value)


def test_plan_lists_every_evaluation_once_and_includes_the_reference():
    plan = tiny_plan(cells=("rnn", "mingru"), tasks=("memorization", "xml"), seeds=3)
    assert plan.genomes == ["rnn", "mingru", "gru"]
    keys = plan.evaluations()
    assert len(keys) == len(set(keys)) == 3 * 2 * 3
    assert {k[3] for k in keys} == {0, 1, 2}
    assert ReportPlan.from_dict(plan.to_dict()) == plan


def test_report_trains_stores_and_tables_the_mean_and_sd(store, tmp_path):
    plan = tiny_plan()
    run = run_report(store, plan, "r")
    assert (run.evaluations, run.reused, run.trained, run.failures) == (4, 0, 4, 0)
    assert run.results.complete
    # The table's numbers are the stored test metrics, recomputed here from the database.
    stored = {name: sorted(
        (e.seed, e.metrics["metrics"]["test_accuracy"])
        for e in store.evaluations(seeds.get(name).hash)) for name in ("gru", "rnn")}
    for name, pairs in stored.items():
        values = [v for _, v in pairs]
        assert [s for s, _ in pairs] == [0, 1]
        mean, spread = run.results.table[name]["memorization"].mean_std()
        assert mean == pytest.approx(statistics.fmean(values))
        assert spread == pytest.approx(statistics.stdev(values))
    ratio = statistics.fmean(r / g for (_, r), (_, g) in zip(stored["rnn"], stored["gru"],
                                                             strict=True))
    assert run.results.score("rnn") == pytest.approx(ratio)
    assert run.results.score("gru") == pytest.approx(1.0)
    ranked = {row.hash: row.score for row in store.best(campaign="r")}
    assert ranked[seeds.get("rnn").hash] == pytest.approx(ratio)

    paths = write_seed_report(run.results, tmp_path / "out", command="evolve report ...")
    text = (tmp_path / "out" / "seeds.md").read_text()
    mean, spread = run.results.table["rnn"]["memorization"].mean_std()
    assert f"| `rnn` | {seeds.get('rnn').param_count(8, 8):,} | {mean:.3f} ± {spread:.3f} |" \
        in text
    assert "Incomplete" not in text and "evolve report ..." in text
    numbers = json.loads((tmp_path / "out" / "seeds.json").read_text())
    assert numbers["cells"]["rnn"]["tasks"]["memorization"]["mean"] == pytest.approx(mean)
    pngs = [p for p in paths if p.suffix == ".png"]
    assert {p.name for p in pngs} == {"bars-memorization.png", "curves-memorization.png"}
    for path in pngs:
        assert path.read_bytes()[:8] == PNG and path.stat().st_size > 5000
    step_ms = run.results.table["gru"]["memorization"].step_ms()
    assert step_ms is not None and step_ms > 0
    curve = run.results.table["gru"]["memorization"].curve()
    assert 2 <= len(curve) <= 50 and [s for s, _ in curve] == sorted(s for s, _ in curve)


def test_a_second_run_trains_nothing(store, monkeypatch):
    plan = tiny_plan()
    first = run_report(store, plan, "r")

    def refuse(*_args, **_kwargs):
        raise AssertionError("a finished evaluation was trained again")

    monkeypatch.setattr("evolve.evaluation.evaluate", refuse)
    again = run_report(store, plan, "r")
    assert (again.reused, again.trained) == (4, 0)
    assert again.results.table["rnn"]["memorization"].mean_std() == \
        first.results.table["rnn"]["memorization"].mean_std()


def test_an_interrupted_report_trains_only_what_is_missing(store):
    plan = tiny_plan()
    prepare_report(store, plan, "r")
    # One evaluation finished before the "crash"; a second one was left running.
    assert run_one(store, "worker-1", WorkerOptions(), "r") is not None
    store.claim("dead-worker", limit=1, campaign="r")
    partial = collect(store, plan)
    assert not partial.complete
    run = run_report(store, plan, "r", stale_after=0.0)
    assert (run.reused, run.trained) == (1, 3)
    assert run.results.complete
    assert all(e.status.value == "done" for name in ("gru", "rnn")
               for e in store.evaluations(seeds.get(name).hash))


def test_failed_cells_are_named_in_the_table_and_score_zero(store, tmp_path):
    # gru has 408 recurrent parameters at 8 units, rnn 136: a limit between them fails gru.
    plan = tiny_plan(cells=("rnn", "gru"), reference="rnn",
                     overrides={**TINY, "max_params": 200})
    run = run_report(store, plan, "r")
    assert run.failures == 2
    assert run.results.table["gru"]["memorization"].mean_std() is None
    assert run.results.score("gru") == 0.0
    write_seed_report(run.results, tmp_path, plots=False)
    row = next(line for line in (tmp_path / "seeds.md").read_text().splitlines()
               if line.startswith("| `gru`"))
    assert "failed ×2" in row


def test_a_missing_ptb_directory_is_an_error_before_anything_is_stored(store, tmp_path):
    plan = tiny_plan(tasks=("ptb-char",))
    with pytest.raises(ReportError, match=r"ptb-char.*--data-dir"):
        run_report(store, plan, "r", options=WorkerOptions(data_dir=str(tmp_path / "nope")))
    assert store.campaigns() == []


def test_a_report_never_takes_over_an_evolution_campaign(store):
    store.create_campaign("quick", {"campaign": {"strategy": "jozefowicz"}})
    with pytest.raises(ReportError, match="'quick' is an evolution campaign"):
        prepare_report(store, tiny_plan(), "quick")
