"""``GenomeCell``: any genome as a Keras 3 RNN cell."""

from __future__ import annotations

import keras
import tensorflow as tf

from cells._layer_base import GenomeLayerMixin, check_flag
from cells._runtime import execute, full_width, fused_kernels
from genome import Genome

__all__ = ["GenomeCell"]


@keras.saving.register_keras_serializable(package="cells")
class GenomeCell(GenomeLayerMixin, keras.layers.Layer):
    """A recurrent cell computed by a genome, for ``keras.layers.RNN``.

    The states are the genome's state slots in slot order (``state_size``
    has one entry per state); the output is the new value of ``h``. This is
    the compatible path, one step per call; for whole sequences
    :class:`cells.GenomeRNN` computes the same function faster, from one
    program for the whole sequence.

    Args:
        genome: a :class:`genome.Genome`, its notation, or a seed name.
        units: hidden width H.
        kernel_initializer: for ``W`` (input) matrices; Glorot uniform.
        recurrent_initializer: for ``U``/``R`` matrices; orthogonal.
        bias_initializer: for ``b``; zeros (``b(k)`` always starts at k).
        peephole_initializer: for ``p``; uniform in [-0.1, 0.1].
        fuse: put matmuls that share an operand side by side in one matmul.
            Off by default: a cell is called once per step, so the kernels
            would be concatenated again at every step, which costs more on
            CPU than it saves (see ``benchmarks/cell_speed.py``).
        **kwargs: passed to ``keras.layers.Layer``.

    Example:
        >>> import keras
        >>> layer = keras.layers.RNN(GenomeCell("gru", 8), return_sequences=True)
        >>> layer(keras.ops.ones((2, 5, 3))).shape
        TensorShape([2, 5, 8])
    """

    def __init__(self, genome: Genome | str, units: int,
                 kernel_initializer=None, recurrent_initializer=None, bias_initializer=None,
                 peephole_initializer=None, fuse: bool = False, **kwargs):
        super().__init__(**kwargs)
        check_flag("fuse", fuse)
        self._setup_genome(genome, units, {
            "kernel_initializer": kernel_initializer,
            "recurrent_initializer": recurrent_initializer,
            "bias_initializer": bias_initializer,
            "peephole_initializer": peephole_initializer,
        }, hoist=False, fuse="all" if fuse else "none")
        self.fuse = fuse
        self.state_size = [units] * len(self.program.states)
        self.output_size = units

    def build(self, input_shape):
        self._create_params(self._check_input_width(input_shape[-1]))
        super().build(input_shape)

    def call(self, inputs, states, training=None):
        dtype = self.compute_dtype
        states = list(states) if isinstance(states, list | tuple) else [states]
        weights = [tf.cast(v, dtype) for v in self.param_vars]
        program = self.program
        env = {program.input_value: inputs}
        env.update(zip(program.state_inputs, states, strict=True))
        execute(program.instructions, env, weights, fused_kernels(program, weights), dtype)
        new_states = [full_width(env[v], s) for v, s in
                      zip(program.state_outputs, states, strict=True)]
        output = new_states[program.states.index("h")]
        return output, new_states

    def get_initial_state(self, batch_size=None):
        return [tf.zeros((batch_size, self.units), dtype=self.compute_dtype)
                for _ in self.state_size]

    def get_config(self):
        return {**super().get_config(), **self._genome_config(), "fuse": self.fuse}
