"""``GenomeRNN``: the fast sequence layer compiled from a genome."""

from __future__ import annotations

import keras
import tensorflow as tf

from cells._layer_base import GenomeLayerMixin, check_flag
from cells._runtime import execute, full_width, fused_kernels, group_gates
from genome import Genome

__all__ = ["SMALL_STEP_UNITS", "GenomeRNN"]

#: Below this width, ``GenomeRNN`` hoists and fuses by default (see its ``hoist``).
SMALL_STEP_UNITS = 64


@keras.saving.register_keras_serializable(package="cells")
class GenomeRNN(GenomeLayerMixin, keras.layers.Layer):
    """A recurrent layer running a genome over whole sequences, fast.

    Computes the same function as ``keras.layers.RNN(GenomeCell(genome,
    units))`` with the same weights, from one compiled program: values read
    twice are computed once, and matrix products that share an operand are
    one matmul. Small widths compute everything that does not depend on a
    state (every ``W x``, the biases added to it, gates that read only x) for
    all steps in one pass before the recurrent loop; wider ones compute it
    inside the loop, where it overlaps the recurrence (see ``hoist``).

    Masking follows Keras: on a masked step every state is carried unchanged
    and the output repeats the last unmasked output (zeros before the first).

    The layer runs in a training step compiled by XLA
    (``model.compile(jit_compile=True)``) with the same numbers; below about 64
    units, where a step costs its op count, that makes it about 1.5× faster
    on CPU (``benchmarks/cell_speed.py``).

    Args:
        genome: a :class:`genome.Genome`, its notation, or a seed name.
        units: hidden width H.
        return_sequences: return the output of every step, not only the last.
        return_state: also return the final value of every state, in genome
            state order.
        go_backwards: process the sequence in reverse (outputs come in the
            order they are computed, as in Keras).
        unroll: unroll the loop in Python (needs a fixed sequence length;
            faster for short sequences, slower to build).
        zero_output_for_mask: on a masked step output zeros instead of
            repeating the last output (as Keras' RNN does with this option;
            ``keras.layers.Bidirectional`` turns it on when returning sequences).
        stateful: only False: the layer keeps no state between batches (for a
            stateful layer use ``keras.layers.RNN(GenomeCell(...), stateful=True)``).
            Accepted so that wrappers such as ``keras.layers.Bidirectional``,
            which read it, work.
        hoist: compute everything that depends on x alone (every ``W x``,
            the biases added to it, gates that read only x) for the whole
            sequence before the loop (True), or step by step inside it
            (False), where the executor runs it ahead of the recurrence, off
            its critical path. Before the loop, products that share an
            operand are always one matmul.
        fuse_recurrent: inside the loop, also put matmuls that share an
            operand (the four ``U h`` of an LSTM, and its four ``W x`` when
            they are not hoisted) into one matmul; with
            ``hoist``, a gate sum ``(x part) + (U h)`` of each piece then
            becomes one add and one split for all of them.
            ``None`` (the default) for either picks by width, as measured
            on CPU by ``benchmarks/cell_speed.py``: below
            ``SMALL_STEP_UNITS`` units a step is a handful of tiny ops whose
            count is its cost, so both are on; from there on the x side
            inside the loop keeps the cores busy while the recurrence waits,
            so both are off. The numbers are the same either way.
        kernel_initializer, recurrent_initializer, bias_initializer,
            peephole_initializer: as in :class:`cells.GenomeCell`.
        **kwargs: passed to ``keras.layers.Layer``.

    Example:
        >>> layer = GenomeRNN("lstm_b", 16, return_sequences=True)
        >>> layer(keras.ops.ones((4, 10, 8))).shape
        TensorShape([4, 10, 16])
    """

    def __init__(self, genome: Genome | str, units: int, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, unroll: bool = False,
                 kernel_initializer=None, recurrent_initializer=None, bias_initializer=None,
                 peephole_initializer=None, fuse_recurrent: bool | None = None,
                 hoist: bool | None = None, zero_output_for_mask: bool = False,
                 stateful: bool = False, **kwargs):
        super().__init__(**kwargs)
        check_flag("hoist", hoist, by_width=True)
        check_flag("fuse_recurrent", fuse_recurrent, by_width=True)
        check_flag("zero_output_for_mask", zero_output_for_mask)
        if stateful:
            raise ValueError("GenomeRNN keeps no state between batches; for stateful=True use "
                             "keras.layers.RNN(cells.GenomeCell(genome, units), stateful=True)")
        self.stateful = False
        self.zero_output_for_mask = zero_output_for_mask
        self.states = None  # what Keras' RNN holds when not stateful; wrappers read it
        self.input_spec = keras.InputSpec(ndim=3)
        self.hoist = hoist
        self.fuse_recurrent = fuse_recurrent
        small = isinstance(units, int) and units < SMALL_STEP_UNITS
        hoisting = small if hoist is None else hoist
        fusing = small if fuse_recurrent is None else fuse_recurrent
        self._setup_genome(genome, units, {
            "kernel_initializer": kernel_initializer,
            "recurrent_initializer": recurrent_initializer,
            "bias_initializer": bias_initializer,
            "peephole_initializer": peephole_initializer,
        }, hoist=hoisting, fuse="all" if fusing else "hoisted")
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.unroll = unroll
        self.supports_masking = True
        program = self.program
        # Before the loop: what depends on x alone (for all steps at once) and what is
        # the same at every step. In the loop: the rest.
        before = program.hoisted | program.constant
        self._early = [i for i in program.instructions if set(i.outputs) & before]
        self._late = [i for i in program.instructions if not set(i.outputs) & before]
        self._gate_groups: dict[int, tuple[int, ...]] = {}
        self._direct_groups: dict[int, tuple] = {}
        if hoisting and fusing:
            self._late, self._gate_groups, self._direct_groups = group_gates(
                program, self._early, self._late)
        needed = set(program.state_outputs)
        for instruction in self._late:
            needed.update(instruction.args)
        # Values of x the loop reads (x itself when nothing is hoisted): computed for all
        # steps before it, read one step at a time.
        self._carried = sorted(needed & (program.hoisted | {program.input_value}
                                         | self._gate_groups.keys()))

    @property
    def state_names(self) -> tuple[str, ...]:
        return self.program.states

    def build(self, input_shape):
        width = self._check_input_width(input_shape[-1])
        self._create_params(width)
        # A later call with another width would fail deep in a matmul; this names it.
        self.input_spec = keras.InputSpec(ndim=3, axes={-1: width})
        super().build(input_shape)

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.program.states)
        return output_mask

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0], input_shape[1]
        output = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return (output, *[(batch, self.units)] * len(self.program.states))
        return output

    def call(self, inputs, mask=None, initial_state=None, training=None):
        dtype = self.compute_dtype
        program = self.program
        inputs = tf.cast(inputs, dtype)
        weights = [tf.cast(v, dtype) for v in self.param_vars]
        batch = tf.shape(inputs)[0]
        steps = tf.shape(inputs)[1]
        width = inputs.shape[-1]

        # Time-major from the start: transposing the narrow input costs less than
        # transposing the wide hoisted products, and each of those then reshapes to
        # (steps, batch, size) for free.
        time_major = tf.transpose(inputs, (1, 0, 2))
        time_mask = None
        if mask is not None:
            time_mask = tf.transpose(tf.cast(mask, tf.bool), (1, 0))[:, :, None]
        if self.go_backwards:
            time_major = tf.reverse(time_major, axis=[0])
            time_mask = None if time_mask is None else tf.reverse(time_mask, axis=[0])
        env = {program.input_value: tf.reshape(time_major, (-1, width))}
        early_kernels = fused_kernels(program, weights, self._early)
        execute(self._early, env, weights, early_kernels, dtype)
        for group, parts in self._gate_groups.items():
            if group in self._direct_groups:  # the x-side product and biases, unsplit
                operand, products, biases = self._direct_groups[group]
                env[group] = (tf.matmul(env[operand], early_kernels[products])
                              + tf.concat([weights[b] for b in biases], axis=0))
            else:  # unused pieces are pruned from the graph
                env[group] = tf.concat([env[p] for p in parts], axis=-1)
        carried = [tf.reshape(env[v], (steps, batch, env[v].shape[-1])) for v in self._carried]
        free = {v: env[v] for v in program.constant}

        if initial_state is None:
            states = [tf.zeros((batch, self.units), dtype=dtype) for _ in program.states]
        else:
            states = list(initial_state) if isinstance(initial_state, list | tuple) else [
                initial_state]
            if len(states) != len(program.states):
                raise ValueError(f"initial_state needs {len(program.states)} tensors (states "
                                 f"{', '.join(program.states)}), got {len(states)}")
            states = [tf.cast(s, dtype) for s in states]
        late_kernels = fused_kernels(program, weights, self._late)
        output_index = program.states.index("h")

        zeros = tf.zeros((batch, self.units), dtype=dtype)

        def step(step_inputs, step_mask, states, previous_output):
            env = dict(free)
            env.update(zip(self._carried, step_inputs, strict=True))
            env.update(zip(program.state_inputs, states, strict=True))
            execute(self._late, env, weights, late_kernels, dtype)
            new_states = [full_width(env[v], s)
                          for v, s in zip(program.state_outputs, states, strict=True)]
            output = new_states[output_index]
            if step_mask is not None:
                new_states = [tf.where(step_mask, n, s) for n, s in zip(new_states, states,
                                                                         strict=True)]
                output = tf.where(step_mask, output,
                                  zeros if self.zero_output_for_mask else previous_output)
            return new_states, output

        if self.unroll:
            total = inputs.shape[1]
            if total is None:
                raise ValueError("unroll=True needs a fixed sequence length")
            outputs, output = [], zeros
            for t in range(total):
                states, output = step([piece[t] for piece in carried],
                                      None if time_mask is None else time_mask[t], states,
                                      output)
                outputs.append(output)
            sequence = tf.stack(outputs, axis=1) if self.return_sequences else None
        else:
            array = tf.TensorArray(dtype, size=steps, element_shape=(None, self.units))
            # Per-step reads go through TensorArrays: slicing one big tensor inside the
            # loop would make every backward step write a whole-sequence gradient.
            step_inputs = [tf.TensorArray(dtype, size=steps).unstack(piece)
                           for piece in carried]
            step_masks = (None if time_mask is None
                          else tf.TensorArray(tf.bool, size=steps).unstack(time_mask))

            # Only what is read is carried: each loop value costs ops at every step, both
            # ways. Without a mask the output is the h state itself.
            keep_array, keep_output = self.return_sequences, step_masks is not None

            def body(t, *carry):
                carry = list(carry)
                array = carry.pop(0) if keep_array else None
                output = carry.pop(0) if keep_output else None
                step_mask = None if step_masks is None else step_masks.read(t)
                states, output = step([piece.read(t) for piece in step_inputs], step_mask,
                                      carry, output)
                return (t + 1, *([array.write(t, output)] if keep_array else []),
                        *([output] if keep_output else []), *states)

            start = (tf.constant(0), *([array] if keep_array else []),
                     *([zeros] if keep_output else []), *states)
            _, *carry = tf.while_loop(lambda t, *_: t < steps, body, start,
                                      maximum_iterations=steps, parallel_iterations=32)
            array = carry.pop(0) if keep_array else None
            if keep_output:
                output = carry.pop(0)
            else:  # zeros for an empty sequence, as with a mask
                output = tf.where(steps > 0, carry[output_index], zeros)
            states = carry
            sequence = (tf.transpose(array.stack(), (1, 0, 2)) if self.return_sequences
                        else None)
        result = sequence if self.return_sequences else output
        if self.return_state:
            return [result, *states]
        return result

    def get_config(self):
        return {
            **super().get_config(),
            **self._genome_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "unroll": self.unroll,
            "fuse_recurrent": self.fuse_recurrent,
            "hoist": self.hoist,
            "zero_output_for_mask": self.zero_output_for_mask,
        }
