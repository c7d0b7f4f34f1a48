import json
import math
import subprocess
import sys

import pytest

from evolve.evaluation import EvaluationProtocol, EvaluationResult, Status, evaluate
from genome import parse, seeds

MEMORIZE = EvaluationProtocol("memorization", {"length": 4, "alphabet": 6}, units=32,
                              train_steps=300, learning_rates=(0.01,), valid_sequences=256,
                              test_sequences=256)


def test_gru_learns_memorization_and_a_constant_cell_does_not():
    gru = evaluate(seeds.get("gru"), MEMORIZE)
    constant = evaluate(parse("h' = b"), MEMORIZE)
    assert gru.status is Status.DONE and constant.status is Status.DONE
    assert gru.metric == "accuracy" and gru.higher_is_better
    assert gru.value > 0.6, gru.metrics
    assert constant.value < 0.3  # chance is 1/6
    assert gru.params == seeds.get("gru").param_count(32, 32)
    assert 0 <= gru.metrics["test_accuracy"] <= 1
    assert gru.metrics["settings"][0]["status"] == "done"
    json.dumps(gru.to_dict())  # storable as is


SMALL = MEMORIZE.replace(train_steps=20, units=8)


def test_same_seed_same_result_and_another_seed_differs():
    a = evaluate(seeds.get("gru"), SMALL, seed=1)
    b = evaluate(seeds.get("gru"), SMALL, seed=1)
    c = evaluate(seeds.get("gru"), SMALL, seed=2)
    assert a.value == b.value and a.metrics == b.metrics
    assert a.metrics["valid_cross_entropy"] != c.metrics["valid_cross_entropy"]


def test_same_result_in_another_process():
    here = evaluate(seeds.get("mgu"), SMALL, seed=5)
    script = (
        "import json\n"
        "from evolve.evaluation import evaluate, EvaluationProtocol\n"
        "from genome import seeds\n"
        f"p = EvaluationProtocol.from_dict({SMALL.to_dict()!r})\n"
        "print(json.dumps(evaluate(seeds.get('mgu'), p, seed=5).to_dict()))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    there = EvaluationResult.from_dict(json.loads(run.stdout.strip().splitlines()[-1]))
    assert there.value == here.value
    assert there.metrics["valid_cross_entropy"] == here.metrics["valid_cross_entropy"]


def test_exploding_cell_is_recorded_as_diverged():
    exploding = parse("h' = h * h * h + W x + b(100)")
    result = evaluate(exploding, SMALL)
    assert result.status is Status.DIVERGED
    assert result.value == 0.0 and not math.isnan(result.value)
    assert "loss became" in result.error or "not finite" in result.error


def test_time_budget_gives_timeout():
    result = evaluate(seeds.get("lstm"), MEMORIZE.replace(time_budget=0.01, train_steps=5000))
    assert result.status is Status.TIMEOUT
    assert "time budget of 0.01 s ran out" in result.error


def test_crash_is_recorded_as_failed(monkeypatch):
    from evolve.evaluation import _train

    def boom(*args, **kwargs):
        raise RuntimeError("simulated crash in training")

    monkeypatch.setattr(_train, "train_setting", boom)
    result = evaluate(seeds.get("gru"), SMALL)
    assert result.status is Status.FAILED
    assert "RuntimeError: simulated crash in training" in result.error


def test_genome_that_cannot_be_built_fails_cleanly():
    result = evaluate(seeds.get("mut1"), SMALL.replace(embedding=5))
    assert result.status is Status.FAILED
    assert "must equal units" in result.error


def test_parameter_limit():
    result = evaluate(seeds.get("lstm"), SMALL.replace(max_params=10))
    assert result.status is Status.FAILED and "over the protocol's limit" in result.error


def test_best_setting_is_kept():
    protocol = SMALL.replace(learning_rates=(1e-6, 0.02), train_steps=40)
    result = evaluate(seeds.get("gru"), protocol)
    assert result.metrics["learning_rate"] == 0.02
    assert len(result.metrics["settings"]) == 2


@pytest.mark.parametrize("task", ["arithmetic", "xml"])
def test_other_synthetic_tasks_run(task):
    protocol = EvaluationProtocol(task, units=8, train_steps=5, valid_sequences=16,
                                  test_sequences=16)
    result = evaluate(seeds.get("gru"), protocol)
    assert result.status is Status.DONE
    if task == "xml":
        assert result.metric == "bpc" and not result.higher_is_better
        assert "valid_closing_accuracy" in result.metrics
    else:
        assert "valid_exact_match" in result.metrics
