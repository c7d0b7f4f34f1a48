import pytest

from genome import GenomeError, param_count, parameter_shapes, parse, seeds


def test_counts_by_hand():
    assert param_count(parse("h' = tanh(W x + U h + b)"), 3, 4) == 3 * 4 + 4 * 4 + 4
    assert param_count(parse("h' = relu(W x + p * h + b)"), 5, 2) == 5 * 2 + 2 + 2
    assert param_count(seeds.get("lstm"), 10, 20) == 4 * (10 * 20 + 20 * 20 + 20) + 3 * 20


def test_dead_slots_are_not_counted():
    assert param_count(parse("z = W x\nh' = U h"), 3, 4) == 16


def test_square_input_requirement_is_a_clear_error():
    with pytest.raises(GenomeError, match=r"input width \(8\) must equal units \(16\)"):
        param_count(seeds.get("mut1"), 8, 16)
    assert param_count(seeds.get("mut1"), 16, 16) > 0


def test_shapes_name_their_slot():
    shapes = parameter_shapes(seeds.get("gru"), 3, 4)
    assert shapes[:3] == [("z:W", (3, 4)), ("z:U", (4, 4)), ("z:b", (4,))]


@pytest.mark.parametrize(("input_dim", "units"), [(7, 13), (32, 32), (100, 64)])
def test_counts_match_keras(input_dim, units):
    keras = pytest.importorskip("keras")
    gru = keras.layers.GRU(units, reset_after=False)
    gru.build((None, None, input_dim))
    assert param_count(seeds.get("gru"), input_dim, units) == gru.count_params()
    lstm = keras.layers.LSTM(units)
    lstm.build((None, None, input_dim))
    assert param_count(seeds.get("lstm_b"), input_dim, units) == lstm.count_params()
    rnn = keras.layers.SimpleRNN(units)
    rnn.build((None, None, input_dim))
    assert param_count(seeds.get("rnn"), input_dim, units) == rnn.count_params()
