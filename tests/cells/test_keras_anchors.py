"""With weights copied over, gru and lstm_b reproduce Keras' own GRU and LSTM."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from cells import GenomeCell, GenomeRNN

D, H, B, T = 5, 7, 3, 6
TOLERANCE = 1e-5


def _gru_weights(keras_layer):
    kernel, recurrent, bias = keras_layer.get_weights()
    out = []
    for gate in range(3):  # Keras order: z, r, candidate -- the genome's slot order too
        block = slice(gate * H, (gate + 1) * H)
        out += [kernel[:, block], recurrent[:, block], bias[block]]
    return out


def _lstm_weights(keras_layer):
    kernel, recurrent, bias = keras_layer.get_weights()
    blocks = {name: slice(i * H, (i + 1) * H) for i, name in enumerate("ifco")}
    out = []
    for gate in "gifo":  # the genome's slot order: g (Keras' c), i, f, o
        block = blocks["c" if gate == "g" else gate]
        out += [kernel[:, block], recurrent[:, block], bias[block]]
    return out


CASES = {
    "gru": (lambda: keras.layers.GRU(H, reset_after=False, return_sequences=True,
                                     return_state=True), _gru_weights),
    "lstm_b": (lambda: keras.layers.LSTM(H, return_sequences=True, return_state=True),
               _lstm_weights),
}


def _ours(kind: str, name: str):
    if kind == "cell":
        return keras.layers.RNN(GenomeCell(name, H), return_sequences=True, return_state=True)
    # GenomeRNN's two ways of running: fused and hoisted (small widths), as written.
    inside = kind == "rnn-in-loop"
    return GenomeRNN(name, H, return_sequences=True, return_state=True,
                     hoist=not inside, fuse_recurrent=not inside)


def _outputs_and_gradients(layer, x, probe):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        result = layer(x)
        loss = tf.reduce_sum(result[0] * probe) + sum(tf.reduce_sum(s) for s in result[1:])
    grads = tape.gradient(loss, [x, *layer.trainable_variables])
    return [np.asarray(r) for r in result], [np.asarray(g) for g in grads]


@pytest.mark.parametrize("kind", ["cell", "rnn-hoisted", "rnn-in-loop"])
@pytest.mark.parametrize("name", ["gru", "lstm_b"])
def test_reproduces_keras(name, kind, rng):
    make_keras, convert = CASES[name]
    x = rng.normal(size=(B, T, D)).astype("float32")
    probe = tf.constant(rng.normal(size=(B, T, H)).astype("float32"))
    reference = make_keras()
    reference.build((None, None, D))
    # Random biases, so that a misplaced bias cannot hide behind zeros.
    reference.set_weights([w + rng.normal(scale=0.3, size=w.shape).astype("float32")
                           for w in reference.get_weights()])
    ours = _ours(kind, name)
    ours.build((None, None, D))
    ours.set_weights(convert(reference))

    ref_out, ref_grads = _outputs_and_gradients(reference, x, probe)
    our_out, our_grads = _outputs_and_gradients(ours, x, probe)
    if name == "lstm_b":  # Keras returns (output, h, c); the genome's states are (c, h)
        our_out = [our_out[0], our_out[2], our_out[1]]
    for ref, got in zip(ref_out, our_out, strict=True):
        assert np.abs(ref - got).max() <= TOLERANCE
    assert np.abs(ref_grads[0] - our_grads[0]).max() <= TOLERANCE  # d loss / d inputs
    # Weight gradients: map Keras' fused gradients like the weights themselves.
    fake = type("Fake", (), {"get_weights": lambda self: ref_grads[1:]})()
    for ref, got in zip(convert(fake), our_grads[1:], strict=True):
        assert np.abs(ref - got).max() <= TOLERANCE


def test_forget_bias_starts_at_one():
    layer = GenomeRNN("lstm_b", H)
    layer.build((None, None, D))
    by_name = {v.path.split("/")[-1]: np.asarray(v) for v in layer.trainable_variables}
    assert np.all(by_name["f_b0"] == 1.0)
    assert np.all(by_name["i_b0"] == 0.0)
