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


def test_floor_counts_every_product_of_the_step():
    # LSTM at width 4, batch 2, 3 steps: x and h times 4 gate blocks, a Dense; backward 2x.
    shape = cell_speed.Shape(batch=2, steps=3, jit=False)
    forward = 2 * (2 * 3) * (4 * 4 * (4 + 4) + 4 * 4)
    assert cell_speed.step_flops(4, 4, shape) == 3 * forward


def test_variants_name_their_baselines_and_xla():
    for name, variant in cell_speed.VARIANTS.items():
        assert variant.baseline in cell_speed.VARIANTS
        assert variant.xla == name.endswith(", XLA")
    for top, bottom, _ in cell_speed.EXTRA_RATIOS:
        assert top in cell_speed.VARIANTS and bottom in cell_speed.VARIANTS
