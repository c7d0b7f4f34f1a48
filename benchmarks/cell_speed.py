"""Training-step speed, build time and peak memory of the genome layers against Keras.

Variants, at each width (every layer returns sequences; one Dense on top):

* ``keras LSTM`` and ``keras GRU(reset_after=False)``: Keras' own layers, the baselines;
* ``GenomeRNN(lstm_b)`` and ``GenomeRNN(gru)``: ours as a user gets them, computing the
  same functions (rows ``lstm_b`` and ``gru`` of ../shared/REFERENCES.md); they pick their
  strategy by width (``cells.SMALL_STEP_UNITS``);
* ``GenomeRNN(lstm_b, hoist+fuse)`` and ``GenomeRNN(lstm_b, in loop)``: each strategy
  forced at every width, so the width rule can be checked against this machine;
* ``textbook LSTM`` and ``textbook GRU``: the same equations as plain Keras cells written
  out by hand (below), one matmul per weight per step, inside ``keras.layers.RNN``: what
  one writes without this project. Before anything is timed they are checked to compute
  what Keras' layers compute, with the same weights;
* ``GenomeCell(lstm_b)`` and ``GenomeCell(gru)``: the compiled genome program one step at
  a time inside ``keras.layers.RNN`` (``fuse=False``), the compatible path;
* ``..., XLA``: Keras' LSTM, the textbook LSTM and both GenomeRNNs in a training step
  compiled by XLA (``tf.function(jit_compile=True)``, what ``model.compile(jit_compile=True)``
  gives), each against the plain baselines.

Measures:

* step: seconds per training step (forward, backward, Adam), the median of --rounds
  rounds, each of which runs every variant in turn, so load changes hit all of them;
* build: seconds to construct the layer and model and run the first training step (which
  traces it), the median of --build-rounds interleaved rounds, taken after every variant
  was built once, so one-time process costs go to none of them;
* floor: the least time any layer computing the same function could take here, the larger
  of (a) every matrix product of the step at the best matmul rate this run measured and
  (b) the chain of dependent recurrent products, two per time step, that no layer can
  batch over time. ``textbook / floor`` bounds what any layer could gain over the textbook;
* memory: a fresh child process per (variant, width) imports the libraries, makes the
  data, then builds the variant and trains it for --repeats + 1 steps. Reported: the
  peak resident memory of the whole child (``ru_maxrss``, imports included) and what the
  build and training added to it (the peak of that phase, after resetting the kernel's
  high-water mark, less the resident memory when it began).

Every ratio divides by a baseline measured in the same run.

Usage:
    python benchmarks/cell_speed.py [--widths 32 128 512] [--steps 50] [--rounds 7] [--xla]
    python benchmarks/cell_speed.py --widths 8 --steps 5 --rounds 2 --repeats 1 \\
        --build-rounds 1 --jobs 2      # smoke run, well under a minute
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf
from keras import ops

import cells

KERAS_LSTM, KERAS_GRU = "keras LSTM", "keras GRU(reset_after=False)"


class TextbookLSTMCell(keras.layers.Layer):
    """``keras.layers.LSTM``'s cell written out: four gates, each with its own W, U and b.

    i = σ(W_i x + U_i h + b_i), f = σ(W_f x + U_f h + b_f) with b_f starting at 1,
    g = tanh(W_g x + U_g h + b_g), o = σ(W_o x + U_o h + b_o); c' = f c + i g,
    h' = o tanh(c'). States are [h, c], as in Keras.
    """

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        self.gates = {gate: _gate_weights(self, gate, input_shape[-1], self.units,
                                          "ones" if gate == "f" else "zeros")
                      for gate in ("i", "f", "g", "o")}

    def call(self, inputs, states):
        h, c = states
        i = ops.sigmoid(_affine(self.gates["i"], inputs, h))
        f = ops.sigmoid(_affine(self.gates["f"], inputs, h))
        g = ops.tanh(_affine(self.gates["g"], inputs, h))
        o = ops.sigmoid(_affine(self.gates["o"], inputs, h))
        c_new = f * c + i * g
        h_new = o * ops.tanh(c_new)
        return h_new, [h_new, c_new]


class TextbookGRUCell(keras.layers.Layer):
    """``keras.layers.GRU(reset_after=False)``'s cell written out, one W, U, b per gate.

    z = σ(W_z x + U_z h + b_z), r = σ(W_r x + U_r h + b_r),
    h' = z h + (1 - z) tanh(W_h x + U_h (r h) + b_h).
    """

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units]
        self.output_size = units

    def build(self, input_shape):
        self.gates = {gate: _gate_weights(self, gate, input_shape[-1], self.units, "zeros")
                      for gate in ("z", "r", "h")}

    def call(self, inputs, states):
        h = states[0]
        z = ops.sigmoid(_affine(self.gates["z"], inputs, h))
        r = ops.sigmoid(_affine(self.gates["r"], inputs, h))
        candidate = ops.tanh(_affine(self.gates["h"], inputs, r * h))
        h_new = z * h + (1 - z) * candidate
        return h_new, [h_new]


def _gate_weights(layer: keras.layers.Layer, gate: str, width: int, units: int,
                  bias: str) -> tuple:
    return (layer.add_weight(name=f"W_{gate}", shape=(width, units),
                             initializer="glorot_uniform"),
            layer.add_weight(name=f"U_{gate}", shape=(units, units), initializer="orthogonal"),
            layer.add_weight(name=f"b_{gate}", shape=(units,), initializer=bias))


def _affine(weights: tuple, inputs, recurrent):
    kernel, recurrent_kernel, bias = weights
    return ops.matmul(inputs, kernel) + ops.matmul(recurrent, recurrent_kernel) + bias


@dataclass(frozen=True)
class Variant:
    make: Callable[[int], keras.layers.Layer]
    baseline: str  # Keras' layer computing the same function
    xla: bool = False  # the whole training step jit-compiled (--xla: every variant)


VARIANTS: dict[str, Variant] = {
    KERAS_LSTM: Variant(lambda w: keras.layers.LSTM(w, return_sequences=True), KERAS_LSTM),
    "GenomeRNN(lstm_b)": Variant(
        lambda w: cells.GenomeRNN("lstm_b", w, return_sequences=True), KERAS_LSTM),
    "GenomeRNN(lstm_b, hoist+fuse)": Variant(
        lambda w: cells.GenomeRNN("lstm_b", w, return_sequences=True, hoist=True,
                                  fuse_recurrent=True), KERAS_LSTM),
    "GenomeRNN(lstm_b, in loop)": Variant(
        lambda w: cells.GenomeRNN("lstm_b", w, return_sequences=True, hoist=False,
                                  fuse_recurrent=False), KERAS_LSTM),
    "textbook LSTM": Variant(
        lambda w: keras.layers.RNN(TextbookLSTMCell(w), return_sequences=True), KERAS_LSTM),
    "GenomeCell(lstm_b)": Variant(
        lambda w: keras.layers.RNN(cells.GenomeCell("lstm_b", w, fuse=False),
                                   return_sequences=True), KERAS_LSTM),
    KERAS_GRU: Variant(lambda w: keras.layers.GRU(w, reset_after=False, return_sequences=True),
                       KERAS_GRU),
    "GenomeRNN(gru)": Variant(lambda w: cells.GenomeRNN("gru", w, return_sequences=True),
                              KERAS_GRU),
    "textbook GRU": Variant(
        lambda w: keras.layers.RNN(TextbookGRUCell(w), return_sequences=True), KERAS_GRU),
    "GenomeCell(gru)": Variant(
        lambda w: keras.layers.RNN(cells.GenomeCell("gru", w, fuse=False),
                                   return_sequences=True), KERAS_GRU),
    # The same layers in a step compiled by XLA (model.compile(jit_compile=True) in Keras):
    f"{KERAS_LSTM}, XLA": Variant(lambda w: keras.layers.LSTM(w, return_sequences=True),
                                  KERAS_LSTM, xla=True),
    "GenomeRNN(lstm_b), XLA": Variant(
        lambda w: cells.GenomeRNN("lstm_b", w, return_sequences=True), KERAS_LSTM, xla=True),
    "textbook LSTM, XLA": Variant(
        lambda w: keras.layers.RNN(TextbookLSTMCell(w), return_sequences=True), KERAS_LSTM,
        xla=True),
    "GenomeRNN(gru), XLA": Variant(lambda w: cells.GenomeRNN("gru", w, return_sequences=True),
                                   KERAS_GRU, xla=True),
}

#: Extra ratios beyond "each variant / its Keras layer": (top, bottom, target on step).
EXTRA_RATIOS = [
    ("textbook LSTM", "GenomeRNN(lstm_b)", ">= 2.0"),
    ("textbook GRU", "GenomeRNN(gru)", ">= 2.0"),
    ("GenomeCell(lstm_b)", "textbook LSTM", ""),
    ("GenomeCell(gru)", "textbook GRU", ""),
    ("textbook LSTM", "GenomeRNN(lstm_b), XLA", ">= 2.0"),
    ("textbook GRU", "GenomeRNN(gru), XLA", ">= 2.0"),
    ("textbook LSTM, XLA", "GenomeRNN(lstm_b), XLA", ""),
    (f"{KERAS_LSTM}, XLA", "GenomeRNN(lstm_b), XLA", ""),
    ("GenomeRNN(lstm_b), XLA", "GenomeRNN(lstm_b)", ""),
]
#: Gates of each Keras layer (matmuls of the width of one state per operand), for the floor.
_GATES = {KERAS_LSTM: 4, KERAS_GRU: 3}
_TARGETS = {("GenomeRNN(lstm_b)", KERAS_LSTM): "<= 1.0", ("GenomeRNN(gru)", KERAS_GRU): "<= 1.0"}


@dataclass(frozen=True)
class Shape:
    batch: int
    steps: int
    jit: bool  # jit-compile every variant's step, not only the XLA ones


def data(width: int, shape: Shape, seed: int = 0) -> tuple[tf.Tensor, tf.Tensor]:
    rng = np.random.default_rng(seed)
    size = (shape.batch, shape.steps, width)
    return (tf.constant(rng.normal(size=size).astype("float32")),
            tf.constant(rng.normal(size=size).astype("float32")))


def make_step(name: str, width: int, shape: Shape):
    layer = VARIANTS[name].make(width)
    model = keras.Sequential([keras.Input((shape.steps, width)), layer,
                              keras.layers.Dense(width)])
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(model.trainable_variables)

    @tf.function(jit_compile=shape.jit or VARIANTS[name].xla)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        return loss

    return train_step


def check_textbook_cells(units: int = 4, width: int = 5, steps: int = 6) -> None:
    """Raise unless the textbook cells compute Keras' LSTM and GRU, given the same weights."""
    x = np.random.default_rng(3).normal(size=(3, steps, width)).astype("float32")
    pairs = [(keras.layers.LSTM(units, return_sequences=True), TextbookLSTMCell(units), "ifgo"),
             (keras.layers.GRU(units, reset_after=False, return_sequences=True),
              TextbookGRUCell(units), "zrh")]
    for reference, cell, order in pairs:
        textbook = keras.layers.RNN(cell, return_sequences=True)
        reference.build((None, steps, width))
        textbook.build((None, steps, width))
        kernel, recurrent, bias = reference.get_weights()
        # Keras keeps the gates side by side in this order; give each its own slice.
        for index, gate in enumerate(order):
            columns = slice(index * units, (index + 1) * units)
            for variable, value in zip(cell.gates[gate], (kernel[:, columns],
                                                          recurrent[:, columns], bias[columns]),
                                       strict=True):
                variable.assign(value)
        gap = float(np.abs(np.asarray(reference(x)) - np.asarray(textbook(x))).max())
        if gap > 1e-5:
            raise AssertionError(f"textbook {type(cell).__name__} differs from "
                                 f"{type(reference).__name__} by {gap:.2e}: the baseline "
                                 f"would not compute the same function")


def time_steps(names: list[str], width: int, shape: Shape, rounds: int, repeats: int
               ) -> dict[str, float]:
    """Median seconds per training step of each variant, rounds interleaved."""
    x, y = data(width, shape)
    steps = {name: make_step(name, width, shape) for name in names}
    for step in steps.values():  # trace and warm up
        step(x, y).numpy()
        step(x, y).numpy()
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            for _ in range(repeats):
                loss = step(x, y)
            loss.numpy()
            samples[name].append((time.perf_counter() - start) / repeats)
    return {name: statistics.median(values) for name, values in samples.items()}


def time_builds(names: list[str], width: int, shape: Shape, rounds: int) -> dict[str, float]:
    """Median seconds from constructing each variant to the result of its first step."""
    x, y = data(width, shape, seed=1)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(rounds):
        for name in names:
            start = time.perf_counter()
            make_step(name, width, shape)(x, y).numpy()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def peak_memory(names: list[str], width: int, shape: Shape, repeats: int, jobs: int
                ) -> dict[str, dict[str, float | None]]:
    """Per variant, from a fresh child process: its peak MiB and the MiB its build added."""
    def child(name: str) -> dict[str, float | None]:
        command = [sys.executable, os.path.abspath(__file__), "--child", name,
                   "--widths", str(width), "--steps", str(shape.steps),
                   "--batch", str(shape.batch), "--repeats", str(repeats)]
        if shape.jit:
            command.append("--xla")
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800,
                              check=False)
        if done.returncode:
            raise RuntimeError(f"memory child for {name!r} at width {width} failed:\n"
                               f"{done.stderr[-2000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return dict(zip(names, pool.map(child, names), strict=True))


def step_flops(gates: int, width: int, shape: Shape) -> float:
    """Multiply-add FLOPs of one training step's matrix products, nothing else counted.

    The recurrent layer multiplies x (width D) and h (width H) by ``gates``
    H-wide blocks at every step, the Dense layer maps H to D; backward does
    two products of the same size for each forward one. D = H = ``width``.
    """
    rows = shape.batch * shape.steps
    forward = 2 * rows * (gates * width * (width + width) + width * width)
    return 3.0 * forward


def matmul_rate(width: int, gates: int, rounds: int) -> tuple[float, str]:
    """The best FLOP/s this machine showed on a large product, and its shape.

    Tries the whole sequence's x side at this width ([B T, D] @ [D, gates H])
    and a 1024-cube; the faster sets the floor, so the floor is a lower bound
    on any layer's step time (per-step products are smaller and slower).
    """
    best, where = 0.0, ""
    for rows, inner, cols in ((32 * 50, width, gates * width), (1024, 1024, 1024)):
        a = tf.random.normal((rows, inner), seed=1)
        b = tf.random.normal((inner, cols), seed=2)
        product = tf.function(lambda a, b: tf.reduce_sum(tf.matmul(a, b)))
        product(a, b).numpy()
        repeats = max(1, int(2e9 // (2 * rows * inner * cols)))
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(repeats):
                total = product(a, b)
            total.numpy()
            rate = 2 * rows * inner * cols * repeats / (time.perf_counter() - start)
            if rate > best:
                best, where = rate, f"[{rows}, {inner}] @ [{inner}, {cols}]"
    return best, where


def serial_chain(width: int, gates: int, shape: Shape, rounds: int) -> float:
    """Best seconds for the recurrence's dependent products alone: 2 per time step.

    Forward, h_{t-1} -> h_t needs [B, H] @ [H, gates H] before the next step
    can start; backward, the gradient with respect to h_{t-1} needs
    [B, gates H] @ [gates H, H] from that of h_t. No layer can batch these
    over time, so a chain of ``2 steps`` such products (timed as a plain graph
    and under XLA, the faster counted) bounds any layer's step from below.
    """
    h = tf.random.normal((shape.batch, width), seed=3)
    # Variance 1 / fan-in keeps the chain's values near 1: no overflow, no denormals.
    up = tf.random.normal((width, gates * width), seed=4) / width ** 0.5
    down = tf.random.normal((gates * width, width), seed=5) / (gates * width) ** 0.5

    def chain(h, up, down):
        for _ in range(shape.steps):
            h = tf.matmul(tf.matmul(h, up), down)
        return tf.reduce_sum(h)

    best = float("inf")
    for jit in (False, True):
        compiled = tf.function(chain, jit_compile=jit)
        compiled(h, up, down).numpy()
        for _ in range(rounds):
            start = time.perf_counter()
            compiled(h, up, down).numpy()
            best = min(best, time.perf_counter() - start)
    return best


def _status_mib(field: str) -> float | None:
    try:
        with open("/proc/self/status") as status:
            match = re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.MULTILINE)
    except OSError:
        return None
    return int(match.group(1)) / 1024 if match else None


def run_child(name: str, width: int, shape: Shape, repeats: int) -> None:
    x, y = data(width, shape)
    whole = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    # Importing TensorFlow peaks higher than a small model ever does; resetting the
    # high-water mark (Linux: clear_refs 5) lets the peak of the build itself show.
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        start = _status_mib("VmRSS")
    except OSError:
        start = None
    step = make_step(name, width, shape)
    for _ in range(repeats + 1):
        step(x, y).numpy()
    phase = _status_mib("VmHWM")
    whole = max(whole, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    added = phase - start if phase is not None and start is not None else None
    print(json.dumps({"peak_mib": whole, "added_mib": added}))


def _ratio(top: float | None, bottom: float | None) -> str:
    if top is None or bottom is None or bottom <= 0:
        return "n/a"
    return f"{top / bottom:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", type=int, nargs="+", default=[32, 128, 512],
                        help="32: the quick preset's width; 128 and 512: the widths the "
                             "speed targets are set at")
    parser.add_argument("--steps", type=int, default=50, help="time steps per sequence")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds")
    parser.add_argument("--repeats", type=int, default=3, help="training steps per sample")
    parser.add_argument("--build-rounds", type=int, default=3,
                        help="interleaved rounds of build + first step")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS),
                        metavar="NAME", help="a subset of: " + "; ".join(VARIANTS))
    parser.add_argument("--no-memory", action="store_true", help="skip the child processes")
    parser.add_argument("--jobs", type=int, default=1,
                        help="memory children run at once (peak memory is per process, "
                             "so this changes no result, only the wall time)")
    parser.add_argument("--xla", action="store_true",
                        help="jit-compile every variant's training step, not only the XLA ones")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    shape = Shape(args.batch, args.steps, args.xla)
    if args.child:
        run_child(args.child, args.widths[0], shape, args.repeats)
        return
    # Every variant is compared with its Keras layer, so that layer always runs.
    names = [n for n in VARIANTS if n in args.variants
             or n in {VARIANTS[v].baseline for v in args.variants}]

    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPUs, "
          f"XLA {'on' if args.xla else 'off'}; batch {args.batch}, {args.steps} steps, "
          f"forward + backward + Adam")
    check_textbook_cells()
    print("textbook cells checked: same outputs as keras LSTM and GRU with the same weights\n")

    results: dict[int, dict[str, dict]] = {}
    for width in args.widths:
        steps = time_steps(names, width, shape, args.rounds, args.repeats)
        builds = time_builds(names, width, shape, args.build_rounds)
        memory = ({} if args.no_memory
                  else peak_memory(names, width, shape, args.repeats, args.jobs))
        rate, where = matmul_rate(width, max(_GATES.values()), args.rounds)
        chains = {name: serial_chain(width, gates, shape, args.rounds)
                  for name, gates in _GATES.items()}
        results[width] = {"step": steps, "build": builds, "memory": memory,
                          "rate": rate, "where": where, "chain": chains}
        print(f"width {width}: median step, median build + first step"
              + ("" if args.no_memory else ", child's peak memory, memory added by the build"))
        for name in names:
            line = f"  {name:34s} {steps[name] * 1000:9.1f} ms {builds[name]:7.2f} s"
            if name in memory:
                added = memory[name]["added_mib"]
                line += f" {memory[name]['peak_mib']:7.0f} MiB"
                line += "" if added is None else f" {added:+7.1f} MiB"
            print(line)
        print()

    print("floor, per training step (forward + backward): no layer computing the same\n"
          "function takes less than the larger of\n"
          "  all: the step's matrix products at the best matmul rate this run saw, and\n"
          "  serial: the chain of dependent recurrent products (2 per time step) alone;\n"
          "so textbook / floor is the most any layer could gain over the textbook cell here")
    for width, measured in results.items():
        print(f"  width {width}: best matmul {measured['rate'] / 1e9:6.1f} GFLOP/s "
              f"({measured['where']})")
        for keras_name, textbook in ((KERAS_LSTM, "textbook LSTM"), (KERAS_GRU, "textbook GRU")):
            if textbook not in measured["step"]:
                continue
            everything = step_flops(_GATES[keras_name], width, shape) / measured["rate"]
            serial = measured["chain"][keras_name]
            floor = max(everything, serial)
            print(f"    {textbook:14s} all {everything * 1000:8.2f} ms, serial "
                  f"{serial * 1000:8.2f} ms   textbook / floor "
                  f"{measured['step'][textbook] / floor:6.2f}")
    print()

    pairs = [(n, VARIANTS[n].baseline, _TARGETS.get((n, VARIANTS[n].baseline), ""))
             for n in names if VARIANTS[n].baseline != n]
    pairs += [(top, bottom, target) for top, bottom, target in EXTRA_RATIOS
              if top in names and bottom in names]
    print("ratios, variant / baseline, all from this run (below 1: cheaper than the baseline);\n"
          "peak: whole child process, mostly TensorFlow itself; added: what build and training\n"
          "added; target: the project's aim for the step ratio (README, Cells and their speed)")
    print(f"  {'ratio':56s} {'width':>6s} {'step':>6s} {'build':>6s} {'peak':>6s} "
          f"{'added':>6s}  target (step)")
    for top, bottom, target in pairs:
        for width, measured in results.items():
            memory = measured["memory"]

            def mib(name: str, key: str, memory=memory) -> float | None:
                return memory[name][key] if name in memory else None

            print(f"  {top + ' / ' + bottom:56s} {width:6d} "
                  f"{_ratio(measured['step'][top], measured['step'][bottom]):>6s} "
                  f"{_ratio(measured['build'][top], measured['build'][bottom]):>6s} "
                  f"{_ratio(mib(top, 'peak_mib'), mib(bottom, 'peak_mib')):>6s} "
                  f"{_ratio(mib(top, 'added_mib'), mib(bottom, 'added_mib')):>6s}  {target}")


if __name__ == "__main__":
    main()
