"""GenomeCell inside keras.layers.RNN and GenomeRNN: same numbers, same Keras behaviour."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import cells
from cells import GenomeCell, GenomeRNN
from genome import GenomeError, parse, seeds

D, H, B, T = 4, 6, 3, 5


def _pair(genome, units=H, input_dim=D, strategy=None, **options):
    cell_layer = keras.layers.RNN(GenomeCell(genome, units), **options)
    cell_layer.build((None, None, input_dim))
    fast = GenomeRNN(genome, units, **(strategy or {}), **options)
    fast.build((None, None, input_dim))
    fast.set_weights(cell_layer.get_weights())
    return cell_layer, fast


def _close(a, b, tolerance=1e-5):
    a = a if isinstance(a, list | tuple) else [a]
    b = b if isinstance(b, list | tuple) else [b]
    assert len(a) == len(b)
    for p, q in zip(a, b, strict=True):
        assert np.abs(np.asarray(p) - np.asarray(q)).max() <= tolerance


# Every way GenomeRNN can run a genome: x side before or inside the loop, U fused or not.
STRATEGIES = [{"hoist": hoist, "fuse_recurrent": fuse} for hoist in (True, False)
              for fuse in (True, False)]


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: "-".join(
    name for name, on in s.items() if on) or "plain")
@pytest.mark.parametrize("name", seeds.names())
def test_every_seed_runs_the_same_in_both_layers(name, strategy, rng):
    width = H if seeds.get(name).needs_square_input else D
    cell_layer, fast = _pair(name, input_dim=width, strategy=strategy, return_sequences=True,
                             return_state=True)
    x = rng.normal(size=(B, T, width)).astype("float32")
    _close(cell_layer(x), fast(x))
    assert len(fast(x)) == 1 + len(seeds.get(name).states)


@pytest.mark.parametrize("options", [
    {"return_sequences": False},
    {"return_sequences": True, "go_backwards": True},
    {"return_state": True, "go_backwards": True},
])
def test_options_match_keras_rnn(options, rng):
    cell_layer, fast = _pair("lstm", **options)
    x = rng.normal(size=(B, T, D)).astype("float32")
    _close(cell_layer(x), fast(x))


@pytest.mark.parametrize("options", [
    {"return_sequences": True}, {"return_sequences": False, "return_state": True},
    {"return_sequences": True, "go_backwards": True},
])
def test_zero_output_for_mask_matches_keras_rnn(options, rng):
    x = rng.normal(size=(B, T, D)).astype("float32")
    mask = tf.constant(np.arange(T)[None, :] < np.array([T, 3, 1])[:, None])
    cell_layer, fast = _pair(SECOND_STATE_OUTPUT, zero_output_for_mask=True, **options)
    expected = cell_layer(x, mask=mask)
    _close(expected, fast(x, mask=mask))
    # Keras' own unrolled path zeroes by the unreversed mask under go_backwards; ours
    # unrolled gives what its loop gives.
    unrolled = GenomeRNN(SECOND_STATE_OUTPUT, H, zero_output_for_mask=True, unroll=True,
                         **options)
    unrolled.build((None, T, D))
    unrolled.set_weights(fast.get_weights())
    _close(fast(x, mask=mask), unrolled(x, mask=mask))
    outputs = np.asarray(expected[0] if options.get("return_state") else expected)
    if options["return_sequences"]:  # zeros where masked, in the order steps were run
        valid = np.asarray(mask)[1, ::-1] if options.get("go_backwards") else np.asarray(mask)[1]
        assert not outputs[1, ~valid].any() and outputs[1, valid].all()
    else:
        assert not outputs[1:].any()  # the last step is masked in rows 1 and 2


def test_unrolled_equals_loop(rng):
    x = rng.normal(size=(B, T, D)).astype("float32")
    loop = GenomeRNN("gru", H, return_sequences=True)
    loop.build((None, T, D))
    unrolled = GenomeRNN("gru", H, return_sequences=True, unroll=True)
    unrolled.build((None, T, D))
    unrolled.set_weights(loop.get_weights())
    _close(loop(x), unrolled(x))


def test_unfused_textbook_path_computes_the_same(rng):
    x = rng.normal(size=(B, T, D)).astype("float32")
    fused = keras.layers.RNN(GenomeCell("lstm", H, fuse=True), return_sequences=True)
    plain = keras.layers.RNN(GenomeCell("lstm", H), return_sequences=True)
    fused.build((None, None, D))
    plain.build((None, None, D))
    plain.set_weights(fused.get_weights())
    _close(fused(x), plain(x))
    assert GenomeCell("lstm", H).program.matmul_count == 8
    assert GenomeCell("lstm", H, fuse=True).program.matmul_count == 2
    assert GenomeRNN("lstm", H, fuse_recurrent=False).program.matmul_count == 5  # x, 4 U
    assert GenomeRNN("lstm", H, fuse_recurrent=True).program.matmul_count == 2
    fast_fused = GenomeRNN("lstm", H, return_sequences=True, fuse_recurrent=True)
    fast_fused.build((None, None, D))
    fast_fused.set_weights(fused.get_weights())
    _close(fused(x), fast_fused(x))


# A genome whose output is not its first state: masking must not copy states[0].
SECOND_STATE_OUTPUT = "c' = c + tanh(W x)\nh' = tanh(U h + p * c' + W x + b)"


@pytest.mark.parametrize("strategy", [STRATEGIES[0], STRATEGIES[-1]],
                         ids=["hoist-fused", "plain"])
@pytest.mark.parametrize("genome", ["gru", "lstm", "lstm_b", "fgr", SECOND_STATE_OUTPUT])
def test_masked_steps_carry_states_and_repeat_the_output(genome, strategy, rng):
    x = rng.normal(size=(B, T, D)).astype("float32")
    lengths = np.array([T, 3, 1])
    mask = np.arange(T)[None, :] < lengths[:, None]
    cell_layer, fast = _pair(genome, strategy=strategy, return_sequences=True,
                             return_state=True)
    cell_result = cell_layer(x, mask=tf.constant(mask))
    fast_result = fast(x, mask=tf.constant(mask))
    _close(cell_result, fast_result)
    outputs, *final_states = (np.asarray(v) for v in fast_result)
    h_index = parse(genome).states.index("h") if "=" in genome else seeds.get(
        genome).states.index("h")
    for row, length in enumerate(lengths):
        # After the last valid step the output repeats...
        for t in range(length, T):
            assert np.array_equal(outputs[row, t], outputs[row, length - 1])
        # ...and the final states are those of the unpadded sequence.
        alone = fast(x[row : row + 1, :length])
        _, *alone_states = (np.asarray(v) for v in alone)
        for state, alone_state in zip(final_states, alone_states, strict=True):
            assert np.abs(state[row] - alone_state[0]).max() <= 1e-6
        assert np.array_equal(final_states[h_index][row], outputs[row, length - 1])


def test_leading_padding_outputs_zero_until_the_first_step(rng):
    x = rng.normal(size=(2, T, D)).astype("float32")
    mask = np.array([[False, False, True, True, True], [True] * T])
    _, fast = _pair("gru", return_sequences=True)
    outputs = np.asarray(fast(x, mask=tf.constant(mask)))
    assert np.all(outputs[0, :2] == 0)
    assert np.abs(outputs[0, 2:] - np.asarray(fast(x[:1, 2:]))[0]).max() <= 1e-6


def test_mask_from_embedding_propagates_through_stacked_layers(rng):
    tokens = np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 5]])
    model = keras.Sequential([
        keras.Input((T,), dtype="int32"),
        keras.layers.Embedding(10, D, mask_zero=True),
        GenomeRNN("lstm", H, return_sequences=True),
        GenomeRNN("gru", H),
    ])
    full = np.asarray(model(tokens))
    trimmed = np.asarray(model(tokens[:1, :3]))
    assert np.abs(full[0] - trimmed[0]).max() <= 1e-6


def test_stacked_cells_in_keras_rnn(rng):
    x = rng.normal(size=(B, T, D)).astype("float32")
    layer = keras.layers.RNN([GenomeCell("gru", H), GenomeCell("lstm", H)],
                             return_sequences=True)
    assert tuple(layer(x).shape) == (B, T, H)


def test_initial_state_is_used(rng):
    x = rng.normal(size=(B, T, D)).astype("float32")
    cell_layer, fast = _pair("lstm", return_state=True)
    start = [tf.constant(rng.normal(size=(B, H)).astype("float32")) for _ in range(2)]
    _close(cell_layer(x, initial_state=start), fast(x, initial_state=start))
    with pytest.raises(ValueError, match="initial_state needs 2 tensors"):
        fast(x, initial_state=start[:1])


def test_square_input_genome_needs_equal_widths():
    with pytest.raises(GenomeError, match=r"input width \(4\) must equal units \(6\)"):
        GenomeRNN("mut1", H).build((None, None, D))
    with pytest.raises(GenomeError, match="must equal units"):
        keras.layers.RNN(GenomeCell("sru", H)).build((None, None, D))


def test_bad_genomes_and_arguments_are_clear_errors():
    with pytest.raises(GenomeError, match="neither genome notation"):
        GenomeRNN("lstn", H)
    with pytest.raises(GenomeError, match="the genome is empty"):
        GenomeCell("  ", H)
    with pytest.raises(GenomeError, match="q is not defined"):
        GenomeCell("h' = tanh(q)", H)
    with pytest.raises(ValueError, match="units must be a positive integer"):
        GenomeRNN("gru", 0)
    record = type("GenomeRecord", (), {"genome": seeds.get("gru")})()
    with pytest.raises(GenomeError, match=r"got GenomeRecord; pass its \.genome"):
        GenomeRNN(record, H)
    with pytest.raises(GenomeError, match=r"got int$"):
        GenomeCell(5, H)
    with pytest.raises(ValueError, match="hoist must be True, False or None"):
        GenomeRNN("gru", H, hoist="yes")
    with pytest.raises(ValueError, match="fuse_recurrent must be True, False or None"):
        GenomeRNN("gru", H, fuse_recurrent=1)
    with pytest.raises(ValueError, match="fuse must be True or False"):
        GenomeCell("gru", H, fuse="yes")
    with pytest.raises(ValueError, match="zero_output_for_mask must be True or False, got 1"):
        GenomeRNN("gru", H, zero_output_for_mask=1)
    with pytest.raises(ValueError, match=r"stateful=True use keras\.layers\.RNN\(cells"):
        GenomeRNN("gru", H, stateful=True)


def test_inputs_of_the_wrong_rank_or_width_are_named(rng):
    layer = GenomeRNN("gru", H)
    x = rng.normal(size=(B, T, D)).astype("float32")
    layer(x)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        layer(x[:, 0])
    with pytest.raises(ValueError, match=f"expected axis -1 of input shape to have value {D}"):
        layer(x[..., :2])


@pytest.mark.parametrize("options", [{}, {"return_state": True}])
def test_bidirectional_wraps_either_layer_the_same(options, rng):
    x = rng.normal(size=(B, T, D)).astype("float32")
    mask = tf.constant(np.arange(T)[None, :] < np.array([T, 3, 1])[:, None])
    cell_layer = keras.layers.Bidirectional(keras.layers.RNN(
        GenomeCell("lstm_b", H), return_sequences=True, **options))
    fast = keras.layers.Bidirectional(GenomeRNN("lstm_b", H, return_sequences=True, **options))
    cell_layer.build((None, T, D))
    fast.build((None, T, D))
    fast.set_weights(cell_layer.get_weights())
    _close(cell_layer(x, mask=mask), fast(x, mask=mask))


def test_strategy_follows_the_width_unless_given():
    small, wide = cells.SMALL_STEP_UNITS - 1, cells.SMALL_STEP_UNITS
    # Small steps: x side before the loop, one U h product, the four gate sums one add.
    lstm = GenomeRNN("lstm_b", small)
    assert lstm.program.hoisted and lstm.program.matmul_count == 2
    loop_ops = [i.op for i in lstm._late]
    assert loop_ops.count("affine") == 1 and "matmul" not in loop_ops
    assert loop_ops.count("sum") == 1  # c' = f c + i g; the gate sums are in the affine
    assert lstm._direct_groups  # x side: one matmul plus one bias row, never split
    # Wide steps: everything inside the loop, one matmul per weight (as written).
    wide_lstm = GenomeRNN("lstm_b", wide)
    assert not wide_lstm.program.hoisted and wide_lstm.program.matmul_count == 8
    assert not wide_lstm._gate_groups
    # Given explicitly, the choice is kept, and saved.
    given = GenomeRNN("lstm_b", small, hoist=False, fuse_recurrent=False)
    assert not given.program.hoisted and given.program.matmul_count == 8
    restored = GenomeRNN.from_config(given.get_config())
    assert (restored.hoist, restored.fuse_recurrent) == (False, False)
    assert restored.program == given.program


def test_a_gate_sum_that_reads_more_than_one_product_is_left_alone(rng):
    # c's sum has a third term (p * c), and a group needs every piece of the fused U h
    # product, so nothing is grouped; the layer still computes the same.
    genome = "c' = tanh(W x + U h + p * c)\nz = sigmoid(W x + U h + b)\nh' = z * c' + h"
    layer = GenomeRNN(genome, H, hoist=True, fuse_recurrent=True)
    assert not layer._gate_groups
    cell_layer, fast = _pair(genome, strategy={"hoist": True, "fuse_recurrent": True},
                             return_sequences=True)
    x = rng.normal(size=(B, T, D)).astype("float32")
    _close(cell_layer(x), fast(x))


def test_dead_slots_are_not_built():
    layer = GenomeRNN("z = W x\nh' = tanh(U h + b)", H)
    layer.build((None, None, D))
    assert len(layer.trainable_variables) == 2


def test_constant_state_broadcasts(rng):
    x = rng.normal(size=(B, T, D)).astype("float32")
    cell_layer, fast = _pair("c' = b(1)\nh' = tanh(W x + U h + c)", return_state=True)
    _close(cell_layer(x), fast(x))
    assert np.all(np.asarray(fast(x)[1]) == 1.0)


def test_initializers_per_kind_and_overrides():
    layer = GenomeRNN("lstm", 64, bias_initializer="ones",
                      kernel_initializer=keras.initializers.GlorotUniform(seed=1))
    layer.build((None, None, 32))
    weights = {v.path.split("/")[-1]: np.asarray(v) for v in layer.trainable_variables}
    u = weights["i_U0"]
    assert np.abs(u @ u.T - np.eye(64)).max() < 1e-4  # orthogonal recurrent matrix
    assert np.all(weights["g_b0"] == 1.0)
    assert np.abs(weights["i_p0"]).max() <= 0.1 and np.abs(weights["i_p0"]).max() > 0
    # A seeded initializer still gives each matrix its own draw.
    assert not np.allclose(weights["g_W0"], weights["i_W0"])
    again = GenomeRNN("lstm", 64, kernel_initializer=keras.initializers.GlorotUniform(seed=1))
    again.build((None, None, 32))
    assert np.array_equal(np.asarray(again.trainable_variables[0]), weights["g_W0"])


def test_layers_train_inside_a_model(rng):
    x = rng.normal(size=(16, T, D)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    model = keras.Sequential([keras.Input((T, D)), GenomeRNN("gru", H), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("genome", ["h' = tanh(U 1 + U b + W x + U h)",
                                    "c' = U b(1)\nh' = tanh(W x + U(c * h) + p * 1)"])
def test_matrices_of_constants_and_biases(genome, rng):
    x = rng.normal(size=(B, T, D)).astype("float32")
    cell_layer, fast = _pair(genome, return_sequences=True, return_state=True)
    _close(cell_layer(x), fast(x))
    assert all(tuple(s.shape) == (B, H) for s in fast(x)[1:])


BELOW = "h' = tanh(W x + z)\nz = tanh(U h)"
TOO_MANY_SLOTS = "\n".join(f"s{i}' = b" for i in range(64)) + "\nh' = tanh(W x)"
TOO_DEEP = "h' = " + "tanh(" * 20_000 + "h" + ")" * 20_000


@pytest.mark.parametrize("layer", [GenomeRNN, GenomeCell])
@pytest.mark.parametrize(("genome", "message"), [
    (BELOW, "z is defined on line 2, below this one"),
    (TOO_MANY_SLOTS, "65 slots; at most 64"),
    (TOO_DEEP, "nodes; at most 20000"),
])
def test_invalid_genomes_fail_at_layer_construction(layer, genome, message):
    with pytest.raises(GenomeError, match=message):
        layer(genome, H)
    config = layer("gru", H).get_config()
    with pytest.raises(GenomeError, match=message):
        layer.from_config({**config, "genome": genome})  # a tampered saved model


def test_cells_beyond_the_search_limits_build_by_hand(rng):
    deep = "h' = " + "tanh(" * 200 + "W x + U h" + ")" * 200
    assert parse(deep).problems()  # over the campaign's default limits, by design allowed
    cell_layer, fast = _pair(deep, return_sequences=True)
    x = rng.normal(size=(B, T, D)).astype("float32")
    _close(cell_layer(x), fast(x))


def test_dead_slot_reading_x_as_hidden_needs_no_square_input():
    layer = GenomeRNN("z = x\nh' = tanh(W x + U h)", H)
    layer.build((None, None, D))
    assert len(layer.trainable_variables) == 2


def _evolved_genomes(count: int) -> list:
    """Random genomes and children of seeds, as a campaign makes them."""
    import random
    from collections import Counter

    from evolve.operators import OperatorContext, make_toolbox, vary
    from genome import random_genome
    rng = random.Random(20261204)
    made = [random_genome(rng, height=rng.randint(2, 4), intermediates=rng.randint(0, 2),
                          extra_states=rng.randint(0, 1)) for _ in range(count // 3)]
    toolbox = make_toolbox(OperatorContext(allow_square_input=False))
    parents = [seeds.get(name) for name in ("lstm_b", "gru", "cifg", "mgu", "nig")]
    while len(made) < count:
        child = vary(toolbox, rng.sample(parents, 2), rng, Counter())
        if child is not None:
            made.append(child.genome)
    return made


EVOLVED = _evolved_genomes(15)


def test_children_of_seeds_exercise_the_gate_groups():
    grouped = [g for g in EVOLVED if GenomeRNN(g, H, hoist=True, fuse_recurrent=True)
               ._gate_groups]
    assert len(grouped) >= 2  # else the test below would hardly check the grouping


@pytest.mark.parametrize("genome", EVOLVED, ids=lambda g: g.hash[:8])
def test_random_genomes_run_the_same_under_every_strategy(genome, rng):
    # The rewrites (hoisting, fusion, gate groups) must hold for whatever evolution makes,
    # not only for the seeds they were written with in mind.
    x = (0.5 * rng.normal(size=(B, T, D))).astype("float32")
    reference = None
    for strategy in STRATEGIES:
        cell_layer, fast = _pair(genome, strategy=strategy, return_sequences=True,
                                 return_state=True)
        if reference is None:
            reference = [np.asarray(v) for v in cell_layer(x)]
            weights = cell_layer.get_weights()
        fast.set_weights(weights)
        for want, got in zip(reference, fast(x), strict=True):
            scale = max(1.0, float(np.abs(want).max()))
            assert np.abs(want - np.asarray(got)).max() <= 1e-5 * scale, (str(genome), strategy)


@pytest.mark.parametrize("strategy", [STRATEGIES[0], STRATEGIES[-1]],
                         ids=["hoist-fused", "plain"])
@pytest.mark.parametrize("genome", ["lstm_b", "fgr", SECOND_STATE_OUTPUT])
def test_xla_compiled_step_computes_the_same(genome, strategy, rng):
    # What model.compile(jit_compile=True) does: the forward pass and its gradient in one
    # XLA program. benchmarks/cell_speed.py measures where that pays.
    x = tf.constant(rng.normal(size=(B, T, D)).astype("float32"))
    mask = tf.constant(np.arange(T)[None, :] < np.array([T, 3, 1])[:, None])
    _, fast = _pair(genome, strategy=strategy, return_sequences=True, return_state=True,
                    go_backwards=True)

    def loss_and_grads(x, mask):
        with tf.GradientTape() as tape:
            outputs, *states = fast(x, mask=mask)
            loss = tf.reduce_sum(outputs ** 2) + sum(tf.reduce_sum(s) for s in states)
        return [outputs, *states], tape.gradient(loss, fast.trainable_variables)

    plain = tf.function(loss_and_grads)(x, mask)
    compiled = tf.function(loss_and_grads, jit_compile=True)(x, mask)
    _close(plain[0], compiled[0])
    _close(plain[1], compiled[1])


def test_model_fit_with_xla(rng):
    x = rng.normal(size=(16, T, D)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    model = keras.Sequential([keras.Input((T, D)), GenomeRNN("lstm_b", H),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse", jit_compile=True)
    assert model.jit_compile  # not turned off as unsupported
    history = model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
