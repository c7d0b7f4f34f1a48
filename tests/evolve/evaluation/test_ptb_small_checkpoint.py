"""benchmarks/ptb_small.py's checkpoints: a kill at any moment never repeats an epoch."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "ptb_small.py"


@pytest.fixture(scope="module")
def ptb_small():
    # The functions only: importing runs nothing but definitions (main() is not called).
    spec = importlib.util.spec_from_file_location("ptb_small_under_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _model(value: float):
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.layers[0].kernel.assign(np.full((2, 1), value, dtype="float32"))
    return model


def _kernel(model) -> float:
    return float(np.asarray(model.layers[0].kernel)[0, 0])


def test_weights_and_log_of_a_checkpoint_always_agree(ptb_small, tmp_path):
    entries = [{"epoch": 1, "valid": 500.0}]
    ptb_small.save_checkpoint(tmp_path, "genome", _model(1.0), entries)
    log, weights = ptb_small.load_checkpoint(tmp_path, "genome")
    assert log == entries and weights.name == "genome.epoch-1.weights.h5"

    # Killed after epoch 2's weights were written, before its checkpoint: resume
    # sees epoch 1 with epoch 1's weights, so epoch 2 is trained once, from them.
    _model(2.0).save_weights(tmp_path / "genome.epoch-2.weights.h5")
    log, weights = ptb_small.load_checkpoint(tmp_path, "genome")
    restored = _model(0.0)
    restored.load_weights(weights)
    assert [e["epoch"] for e in log] == [1] and _kernel(restored) == 1.0

    entries = [*entries, {"epoch": 2, "valid": 300.0}]
    ptb_small.save_checkpoint(tmp_path, "genome", _model(2.0), entries)
    log, weights = ptb_small.load_checkpoint(tmp_path, "genome")
    restored.load_weights(weights)
    assert [e["epoch"] for e in log] == [1, 2] and _kernel(restored) == 2.0
    assert not (tmp_path / "genome.epoch-1.weights.h5").exists()  # superseded, removed
    assert ptb_small.load_checkpoint(tmp_path, "keras") == ([], None)


def test_atomic_write_leaves_the_old_file_when_interrupted(ptb_small, tmp_path, monkeypatch):
    path = tmp_path / "curve.json"
    ptb_small.write_atomically(path, json.dumps({"genome": [1]}))
    assert json.loads(path.read_text()) == {"genome": [1]}

    def killed(*args):
        raise KeyboardInterrupt

    # The script's own name for os only, not the os module everyone shares.
    monkeypatch.setattr(ptb_small, "os", SimpleNamespace(fsync=os.fsync, replace=killed))
    with pytest.raises(KeyboardInterrupt):
        ptb_small.write_atomically(path, json.dumps({"genome": [1, 2]}))
    assert json.loads(path.read_text()) == {"genome": [1]}
