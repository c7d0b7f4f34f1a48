import pytest

from genome import Genome, GenomeError, param_count, parameter_shapes, parse, seeds


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


# A dead intermediate of each sort: unread, unread but reading another slot, and an
# extra state that only reads itself. None of them is built, so none is counted.
DEAD = [
    "z1 = 0 * 1 * W x\nh' = tanh(W x + U h + b)",
    "z1 = sigmoid(W x + U h + b)\nz2 = U z1 * p * z1\nh' = tanh(W x + U h + b)",
    "c' = tanh(W x + U c + b)\nh' = sigmoid(W x + U h)",
]


@pytest.mark.parametrize("text", DEAD)
def test_dead_slots_count_what_the_layers_build(text):
    cells = pytest.importorskip("cells")  # TensorFlow
    keras = pytest.importorskip("keras")
    g = parse(text)
    assert g.dead_slots()
    input_dim, units = 3, 5
    count = g.param_count(input_dim, units)
    assert count == param_count(g, input_dim, units)
    assert count == g.canonical().param_count(input_dim, units)
    assert count == g.without_dead_slots().param_count(input_dim, units)
    for layer in (cells.GenomeRNN(g, units), cells.GenomeRNN(g, units, fuse_recurrent=True),
                  keras.layers.RNN(cells.GenomeCell(g, units))):
        layer.build((None, None, input_dim))
        assert count == sum(int(v.numpy().size) for v in layer.trainable_variables), text


def test_every_random_genome_counts_its_compiled_parameters():
    # Without TensorFlow: what compile_genome (which the layers build from) creates,
    # on random genomes given an unread intermediate and an extra state read by nothing else.
    import random

    from genome import Slot, SlotKind
    from genome.generate import random_genome, random_tree
    from genome.program import compile_genome, param_total

    rng = random.Random(7)
    for index in range(200):
        live = random_genome(rng, height=4, intermediates=index % 3, extra_states=index % 2)
        dead_state = Slot("d", SlotKind.STATE, random_tree(rng, (*live.states, "d"), 3, "grow"))
        unread = Slot("z9", SlotKind.INTERMEDIATE,
                      random_tree(rng, (*live.states, "d"), 3, "grow"))
        g = Genome([dead_state, unread, *live.slots])
        assert set(g.dead_slots()) == {"d", "z9"}, str(g)
        count = param_count(g, 3, 5)
        assert count == param_count(live, 3, 5), str(g)
        for hoist in (False, True):
            assert param_total(compile_genome(g, hoist=hoist), 3, 5) == count, str(g)


def test_weights_that_meet_a_zero_are_counted_as_built():
    # Read but multiplied by zero: the layers still create z1's W (it gets no
    # gradient), so the genome counts it; its canonical form folds it away.
    g = parse("z1 = 0 * W x\nh' = tanh(U h + z1)")
    assert not g.dead_slots()
    assert param_count(g, 3, 4) == 3 * 4 + 4 * 4
    assert g.canonical().param_count(3, 4) == 4 * 4
