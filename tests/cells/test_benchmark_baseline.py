"""The hand-written textbook cells of benchmarks/cell_speed.py compute Keras' LSTM and GRU."""

import pytest
from keras import ops

from benchmarks import cell_speed


def test_textbook_cells_match_keras_layers():
    cell_speed.check_textbook_cells()


def test_the_check_catches_a_textbook_cell_that_differs(monkeypatch):
    def without_reset(self, inputs, states):
        h = states[0]
        z = ops.sigmoid(cell_speed._affine(self.gates["z"], inputs, h))
        candidate = ops.tanh(cell_speed._affine(self.gates["h"], inputs, h))
        h_new = z * h + (1 - z) * candidate
        return h_new, [h_new]

    monkeypatch.setattr(cell_speed.TextbookGRUCell, "call", without_reset)
    with pytest.raises(AssertionError, match="TextbookGRUCell differs from GRU"):
        cell_speed.check_textbook_cells()


def test_textbook_cells_keep_a_weight_per_gate():
    cell = cell_speed.TextbookLSTMCell(4)
    cell.build((None, 3))
    assert sorted(v.path.split("/")[-1] for v in cell.weights) == sorted(
        f"{kind}_{gate}" for gate in "ifgo" for kind in "WUb")
