"""Training-step speed of GenomeRNN against Keras' built-in layers and a textbook cell.

For each width, times one training step (forward, backward, Adam update) on a
batch of 32 sequences of 50 steps, for:

* ``GenomeRNN(lstm_b)`` and ``keras.layers.LSTM`` (the same function);
* ``GenomeRNN(gru)`` and ``keras.layers.GRU(reset_after=False)``;
* the textbook implementation: ``keras.layers.RNN(GenomeCell(g, fuse=False))``,
  one matmul per weight per step, as the seed repository did.

All variants run in the same process, interleaved round by round, and the
script prints median times and the ratios (lower is faster for ours/theirs).
It also reports the time to build and trace a new genome, and peak memory.

Usage:
    python benchmarks/cell_speed.py [--widths 128 512] [--rounds 7] [--xla]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf

import cells

BATCH, STEPS = 32, 50


def make_step(layer: keras.layers.Layer, width: int, jit: bool):
    model = keras.Sequential([keras.Input((STEPS, width)), layer, keras.layers.Dense(width)])
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(model.trainable_variables)

    @tf.function(jit_compile=jit)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        return loss

    return train_step


def variants(width: int) -> dict[str, keras.layers.Layer]:
    return {
        "GenomeRNN(lstm_b)": cells.GenomeRNN("lstm_b", width, return_sequences=True),
        "keras LSTM": keras.layers.LSTM(width, return_sequences=True),
        "GenomeRNN(gru)": cells.GenomeRNN("gru", width, return_sequences=True),
        "keras GRU(reset_after=False)": keras.layers.GRU(width, reset_after=False,
                                                         return_sequences=True),
        "GenomeRNN(lstm_b, fuse_recurrent)": cells.GenomeRNN(
            "lstm_b", width, return_sequences=True, fuse_recurrent=True),
        "textbook lstm_b": keras.layers.RNN(cells.GenomeCell("lstm_b", width, fuse=False),
                                            return_sequences=True),
        "textbook gru": keras.layers.RNN(cells.GenomeCell("gru", width, fuse=False),
                                         return_sequences=True),
    }


def time_width(width: int, rounds: int, repeats: int, jit: bool) -> dict[str, float]:
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(BATCH, STEPS, width)).astype("float32"))
    y = tf.constant(rng.normal(size=(BATCH, STEPS, width)).astype("float32"))
    steps = {name: make_step(layer, width, jit) for name, layer in variants(width).items()}
    for step in steps.values():  # trace and warm up
        step(x, y).numpy()
        step(x, y).numpy()
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():  # interleaved, so load changes hit every variant
            start = time.perf_counter()
            for _ in range(repeats):
                loss = step(x, y)
            loss.numpy()
            samples[name].append((time.perf_counter() - start) / repeats)
    return {name: statistics.median(values) for name, values in samples.items()}


def build_and_trace_time(width: int, jit: bool) -> tuple[float, float]:
    """Seconds to build + trace + run a first step for a new genome, vs. Keras' LSTM."""
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(size=(BATCH, STEPS, width)).astype("float32"))
    y = tf.constant(rng.normal(size=(BATCH, STEPS, width)).astype("float32"))
    results = []
    for make in (lambda: cells.GenomeRNN("mut3", width, return_sequences=True),
                 lambda: keras.layers.LSTM(width, return_sequences=True)):
        start = time.perf_counter()
        make_step(make(), width, jit)(x, y).numpy()
        results.append(time.perf_counter() - start)
    return results[0], results[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--xla", action="store_true", help="jit-compile every training step")
    args = parser.parse_args()
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
          f"{os.cpu_count()} CPUs, XLA {'on' if args.xla else 'off'}; "
          f"batch {BATCH}, {STEPS} steps, forward + backward + Adam\n")
    for width in args.widths:
        times = time_width(width, args.rounds, args.repeats, args.xla)
        print(f"width {width}: median seconds per training step")
        for name, seconds in times.items():
            print(f"  {name:30s} {seconds * 1000:9.1f} ms")
        ratios = [
            ("GenomeRNN(lstm_b) / keras LSTM", "GenomeRNN(lstm_b)", "keras LSTM", "<= 1.0"),
            ("GenomeRNN(gru) / keras GRU", "GenomeRNN(gru)", "keras GRU(reset_after=False)",
             "<= 1.0"),
            ("textbook lstm_b / GenomeRNN(lstm_b)", "textbook lstm_b", "GenomeRNN(lstm_b)",
             ">= 2.0"),
            ("textbook gru / GenomeRNN(gru)", "textbook gru", "GenomeRNN(gru)", ">= 2.0"),
        ]
        for label, top, bottom, target in ratios:
            print(f"  ratio {label:38s} {times[top] / times[bottom]:6.2f}  (target {target})")
        print()
    ours, theirs = build_and_trace_time(args.widths[0], args.xla)
    print(f"build + trace + first step of a new genome (mut3, width {args.widths[0]}): "
          f"{ours:.2f} s; keras LSTM the same way: {theirs:.2f} s; ratio {ours / theirs:.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
