"""A model saved as .keras loads in a fresh process after `import cells`, and predicts the same."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest

from cells import GenomeCell, GenomeRNN

GENOMES = {"one_state": "gru", "two_states": "lstm", "five_states": "fgr"}


@pytest.mark.parametrize("name", list(GENOMES))
def test_saved_model_loads_in_a_fresh_process(name, tmp_path, rng):
    seed = GENOMES[name]
    model = keras.Sequential([
        keras.Input((6, 3)),
        keras.layers.RNN(GenomeCell(seed, 5), return_sequences=True),
        GenomeRNN(seed, 5),
        keras.layers.Dense(2),
    ])
    x = rng.normal(size=(4, 6, 3)).astype("float32")
    expected = np.asarray(model(x))
    path = tmp_path / "model.keras"
    model.save(path)
    np.save(tmp_path / "x.npy", x)
    script = (
        "import json, sys, numpy as np, keras, cells\n"
        f"model = keras.saving.load_model({str(path)!r})\n"
        f"x = np.load({str(tmp_path / 'x.npy')!r})\n"
        "print(json.dumps(np.asarray(model(x)).tolist()))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = np.array(json.loads(result.stdout.strip().splitlines()[-1]))
    assert np.abs(loaded - expected).max() <= 1e-6


def test_config_round_trip_keeps_the_genome_text():
    layer = GenomeRNN("lstm_b", 7, return_sequences=True, go_backwards=True,
                      bias_initializer="ones")
    config = layer.get_config()
    assert config["genome"].startswith("g = tanh(W x + U h + b)")
    clone = GenomeRNN.from_config(config)
    assert clone.genome == layer.genome
    assert clone.go_backwards and clone.return_sequences
    cell = GenomeCell.from_config(GenomeCell("gru", 3).get_config())
    assert cell.state_size == [3]
