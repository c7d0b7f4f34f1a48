"""The model trained for a task: embedding, genome layers, softmax."""

from __future__ import annotations

import keras
import numpy as np

from cells import GenomeRNN
from evolve.evaluation.protocol import EvaluationProtocol
from genome import Genome

_SCALED_KINDS = ("W", "U", "R", "p")


def build_model(genome: Genome, protocol: EvaluationProtocol, vocab_size: int,
                init_scale: float = 1.0, seed: int = 0) -> keras.Model:
    """Embedding -> ``protocol.layers`` GenomeRNN layers -> logits over the vocabulary.

    Every initializer gets an explicit seed derived from ``seed``: Keras'
    default seeds come from the process-wide ``random`` module, which other
    threads (a Dask worker's, say) also draw from.
    """

    def seeded(kind: str, offset: int):
        return getattr(keras.initializers, kind)(seed=(seed + offset) % 2**31)

    inputs = keras.Input((None,), dtype="int32")
    hidden = keras.layers.Embedding(vocab_size, protocol.embedding_width,
                                    embeddings_initializer=seeded("RandomUniform", 1))(inputs)
    recurrent = []
    for index in range(protocol.layers):
        base = 1000 * (index + 1)
        layer = GenomeRNN(genome, protocol.units, return_sequences=True,
                          kernel_initializer=seeded("GlorotUniform", base),
                          recurrent_initializer=seeded("Orthogonal", base + 300),
                          peephole_initializer=keras.initializers.RandomUniform(
                              -0.1, 0.1, seed=(seed + base + 600) % 2**31))
        hidden = layer(hidden)
        recurrent.append(layer)
    logits = keras.layers.Dense(vocab_size, kernel_initializer=seeded("GlorotUniform", 2))(hidden)
    model = keras.Model(inputs, logits)
    if init_scale != 1.0:
        for layer in recurrent:
            for spec, variable in zip(layer.program.params, layer.param_vars, strict=True):
                if spec.kind in _SCALED_KINDS:
                    variable.assign(np.asarray(variable) * init_scale)
    return model


def recurrent_params(model: keras.Model) -> int:
    return sum(layer.count_params() for layer in model.layers if isinstance(layer, GenomeRNN))
