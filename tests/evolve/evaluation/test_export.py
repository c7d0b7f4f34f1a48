"""evolve.evaluation.export: the trained model is the one the evaluation scored."""

import pytest

from evolve.evaluation import EvaluationProtocol, evaluate
from evolve.evaluation.export import export_model
from genome import seeds

# Two settings, the first too slow to learn: an export that took the first would differ.
TWO_SETTINGS = EvaluationProtocol("memorization", {"length": 3, "alphabet": 4}, units=8,
                                  train_steps=40, learning_rates=(1e-6, 0.02),
                                  valid_sequences=64, test_sequences=64)


def test_trained_export_keeps_the_setting_the_evaluation_kept(tmp_path):
    genome = seeds.get("gru")
    scored = evaluate(genome, TWO_SETTINGS, seed=3)
    assert scored.metrics["learning_rate"] == 0.02
    path, summary = export_model(genome, tmp_path / "m.keras", train_task="memorization",
                                 protocol=TWO_SETTINGS, seed=3)
    assert path.exists()
    assert "lr 0.02, init scale 1, the best on validation of 2 settings tried" in summary
    assert f"valid accuracy {scored.value:.4f}" in summary


def test_a_protocol_for_another_task_is_refused_before_training(tmp_path):
    with pytest.raises(ValueError, match="the protocol is for memorization, not for xml"):
        export_model(seeds.get("gru"), tmp_path / "m.keras", train_task="xml",
                     protocol=TWO_SETTINGS)
    assert not (tmp_path / "m.keras").exists()
