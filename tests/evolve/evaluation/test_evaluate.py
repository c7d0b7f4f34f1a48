import importlib
import json
import math
import subprocess
import sys
import time

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
    # Everything but the wall time per step is reproducible.
    assert a.value == b.value and _untimed(a.metrics) == _untimed(b.metrics)
    assert a.metrics["curve"] == b.metrics["curve"]
    assert a.metrics["valid_cross_entropy"] != c.metrics["valid_cross_entropy"]


def _untimed(metrics: dict) -> dict:
    settings = [{k: v for k, v in s.items() if k != "step_seconds"} for s in metrics["settings"]]
    return {**{k: v for k, v in metrics.items() if k != "step_seconds"}, "settings": settings}


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
    # The curve keeps the finite steps only, and the result stays JSON.
    for setting in result.metrics["settings"]:
        assert all(math.isfinite(loss) for _, loss in setting["curve"])
    json.dumps(result.to_dict(), allow_nan=False)


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
    assert result.metrics["settings"][0]["curve"] == []


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


def test_learning_curve_and_step_time_of_each_setting():
    from evolve.evaluation import preset_protocol
    from evolve.evaluation._train import CURVE_POINTS

    protocol = preset_protocol("memorization", "smoke", train_steps=120,
                               learning_rates=[0.02, 0.005])
    result = evaluate(seeds.get("gru"), protocol)
    assert result.status is Status.DONE
    for setting in result.metrics["settings"]:
        curve = setting["curve"]
        assert 0 < len(curve) <= CURVE_POINTS
        steps = [step for step, _ in curve]
        assert steps == sorted(set(steps)) and steps[-1] == 120
        assert steps == list(range(3, 121, 3))  # 120 steps in 40 intervals of 3
        assert all(math.isfinite(loss) and loss > 0 for _, loss in curve)
        assert setting["step_seconds"] > 0
    best = next(s for s in result.metrics["settings"]
                if s["learning_rate"] == result.metrics["learning_rate"])
    assert result.metrics["curve"] == best["curve"]
    assert result.metrics["step_seconds"] == best["step_seconds"]
    # The GRU learns: the loss of the last interval is below that of the first.
    assert result.metrics["curve"][-1][1] < result.metrics["curve"][0][1]
    json.dumps(result.to_dict(), allow_nan=False)


def test_curve_points_are_interval_means():
    from evolve.evaluation._train import _Curve

    curve = _Curve(total_steps=351)  # 43 whole intervals of 8, then 7 steps
    assert curve.every == 8
    for step in range(1, 352):
        curve.add(step, float(step))
    curve.flush(351)
    assert len(curve.points) == 44
    assert curve.points[0] == [8, 4.5]  # mean of 1..8
    assert curve.points[-1] == [351, 348.0]  # the partial interval 345..351
    short = _Curve(total_steps=3)
    for step in (1, 2, 3):
        short.add(step, 1.0)
    short.flush(3)
    assert short.points == [[1, 1.0], [2, 1.0], [3, 1.0]]


def test_measuring_past_the_deadline_is_a_timeout(monkeypatch):
    from types import SimpleNamespace

    from evolve.evaluation import _train

    # A clock for the training module that jumps a day once measuring starts:
    # training ends in time, measuring runs out.
    late = {"by": 0.0}
    monkeypatch.setattr(_train, "time", SimpleNamespace(
        monotonic=lambda: time.monotonic() + late["by"]))
    real_measure = _train.measure

    def measure_late(*args, **kwargs):
        late["by"] = 86_400.0
        return real_measure(*args, **kwargs)

    monkeypatch.setattr(_train, "measure", measure_late)
    result = evaluate(seeds.get("gru"), SMALL)  # 256 validation sequences: 4 batches of 64
    assert result.status is Status.TIMEOUT
    assert ("ran out measuring validation, after batch 1 of 4 (64 of 256 sequences)"
            in result.error), result.error
    setting = result.metrics["settings"][0]
    assert setting["status"] == "timeout" and setting["steps"] == SMALL.train_steps
    assert setting["curve"]


def test_measure_checks_the_deadline_between_batches():
    from evolve.evaluation._model import build_model
    from evolve.evaluation._train import _OutOfTimeError, measure
    from evolve.evaluation.evaluate import _data, task_for

    task = task_for(SMALL)
    split = _data(SMALL.hash, task, SMALL)["test"]
    model = build_model(seeds.get("gru"), SMALL, task.vocab_size)
    with pytest.raises(_OutOfTimeError, match="measuring test, after batch 1 of 4"):
        measure(model, task, split, 32, deadline=time.monotonic() - 1, name="test")
    assert set(measure(model, task, split, 32)) >= {"accuracy", "cross_entropy"}


def test_two_init_scales_are_two_settings():
    from evolve.evaluation import preset_protocol

    protocol = preset_protocol("memorization", "smoke", units=8, train_steps=5,
                               init_scales=[1.0, 0.3])
    result = evaluate(seeds.get("gru"), protocol)
    assert result.status is Status.DONE
    settings = result.metrics["settings"]
    assert [s["init_scale"] for s in settings] == [1.0, 0.3]
    assert all(s["status"] == "done" for s in settings)
    # The scale reaches the model: the two settings train differently.
    assert settings[0]["valid"]["cross_entropy"] != settings[1]["valid"]["cross_entropy"]
    assert result.metrics["init_scale"] in (1.0, 0.3)


def test_two_layers_train():
    from evolve.evaluation import preset_protocol
    from evolve.evaluation._model import build_model
    from evolve.evaluation.evaluate import task_for

    protocol = preset_protocol("memorization", "smoke", units=8, train_steps=5, layers=2)
    gru = seeds.get("gru")
    result = evaluate(gru, protocol)
    assert result.status is Status.DONE, result.error
    assert result.params == gru.param_count(8, 8) * 2  # embedding width = units
    model = build_model(gru, protocol, task_for(protocol).vocab_size)
    assert sum(type(layer).__name__ == "GenomeRNN" for layer in model.layers) == 2


def test_training_pool_is_bounded_by_tokens(monkeypatch):
    from evolve.evaluation import preset_protocol

    # The module, not the function of the same name that the package exports.
    module = importlib.import_module("evolve.evaluation.evaluate")
    assert module._data.cache_info().maxsize == 4
    long = preset_protocol("xml", "smoke", task_params={"length": 10_000},
                           train_steps=10**6, batch_size=32)
    task = module.task_for(long)
    assert module.train_pool_size(task, long) == module.TRAIN_TOKENS // 10_000
    short = preset_protocol("memorization", "smoke", train_steps=10**6)
    assert module.train_pool_size(module.task_for(short), short) == module.TRAIN_POOL
    wide = long.replace(batch_size=4096)  # never under one batch
    assert module.train_pool_size(task, wide) == 4096
    # Arithmetic's widths vary from row to row: the bound holds all the same.
    monkeypatch.setattr(module, "TRAIN_TOKENS", 5000)
    sums = preset_protocol("arithmetic", "smoke", train_steps=1000, batch_size=8,
                           task_params={"distractor_rate": 2.0})
    train = module._data.__wrapped__(sums.hash, module.task_for(sums), sums)["train"]
    assert train.inputs.size <= 5000 and len(train) >= 8
    # The probe's rows were shorter than the longest: rows were dropped to keep the bound.
    assert module.train_pool_size(module.task_for(sums), sums) > len(train)
    again = module._data.__wrapped__(sums.hash, module.task_for(sums), sums)["train"]
    assert (train.inputs == again.inputs).all()
