"""The model trained for a task: embedding, genome layers, softmax."""

from __future__ import annotations

import keras
import numpy as np

from cells import GenomeRNN
from evolve.evaluation.protocol import EvaluationProtocol
from genome import Genome

_SCALED_KINDS = ("W", "U", "R", "p")


def build_model(genome: Genome, protocol: EvaluationProtocol, vocab_size: int,
                init_scale: float = 1.0) -> keras.Model:
    """Embedding -> ``protocol.layers`` GenomeRNN layers -> logits over the vocabulary."""
    inputs = keras.Input((None,), dtype="int32")
    hidden = keras.layers.Embedding(vocab_size, protocol.embedding_width)(inputs)
    recurrent = []
    for _ in range(protocol.layers):
        layer = GenomeRNN(genome, protocol.units, return_sequences=True)
        hidden = layer(hidden)
        recurrent.append(layer)
    logits = keras.layers.Dense(vocab_size)(hidden)
    model = keras.Model(inputs, logits)
    if init_scale != 1.0:
        for layer in recurrent:
            for spec, variable in zip(layer.program.params, layer.param_vars, strict=True):
                if spec.kind in _SCALED_KINDS:
                    variable.assign(np.asarray(variable) * init_scale)
    return model


def recurrent_params(model: keras.Model) -> int:
    return sum(layer.count_params() for layer in model.layers if isinstance(layer, GenomeRNN))
