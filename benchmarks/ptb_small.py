"""The classic Penn Treebank "small" configuration, GenomeRNN(lstm_b) beside keras LSTM.

Zaremba et al.'s small setting, as in TensorFlow's old PTB tutorial: 2 layers
of 200 units, unroll 20, batch 20, SGD learning rate 1.0 halved every epoch
after the 4th, 13 epochs, no dropout, weights uniform in [-0.1, 0.1],
gradient norm clipped at 5, the 10k-word vocabulary; states are carried from
batch to batch; the training cost is the tutorial's, the cross-entropy summed
over the 20 unrolled steps and averaged over the batch. Published: valid
121.4, test 115.9 perplexity. (The tutorial used forget bias 0; lstm_b and
keras' LSTM start the forget bias at 1.)

Both models train in the same process, one epoch each in turn. Each epoch
ends with a checkpoint, so an interrupted run continues with ``--resume``:
per model, the epoch's weights go to a file of their own
(``KIND.epoch-N.weights.h5``), then ``KIND.checkpoint.json`` (the epochs'
log entries and that file's name) is replaced atomically. That small file is
the only thing trusted on resume, so a kill at any moment leaves weights and
log that agree, and no epoch is trained twice. ``curve.json`` (both models'
logs) is rewritten atomically after it, for reading.

Usage:
    python benchmarks/ptb_small.py [--epochs 13] [--data-dir ../shared/data/ptb]
        [--out results/ptb_small] [--resume] [--max-steps N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

from cells._tf import import_tensorflow

tf = import_tensorflow()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from cells import GenomeRNN  # noqa: E402
from evolve.tasks import make_task  # noqa: E402

LAYERS, UNITS, STEPS, BATCH, VOCAB_INIT = 2, 200, 20, 20, 0.1
EVAL_BATCH, EVAL_STEPS = 10, 35
PUBLISHED = {"valid": 121.4, "test": 115.9}


def build(kind: str, vocab: int) -> tuple[keras.Model, int]:
    init = keras.initializers.RandomUniform(-VOCAB_INIT, VOCAB_INIT, seed=1)
    tokens = keras.Input((None,), dtype="int32")
    states_in, states_out = [], []
    hidden = keras.layers.Embedding(vocab, UNITS, embeddings_initializer=init)(tokens)
    for layer_index in range(LAYERS):
        if kind == "genome":
            layer = GenomeRNN("lstm_b", UNITS, return_sequences=True, return_state=True,
                              kernel_initializer=init, recurrent_initializer=init)
            # GenomeRNN states come in genome order: (c, h).
        else:
            layer = keras.layers.LSTM(UNITS, return_sequences=True, return_state=True,
                                      kernel_initializer=init, recurrent_initializer=init)
            # keras LSTM states: (h, c).
        pair = [keras.Input((UNITS,)) for _ in range(2)]
        states_in += pair
        hidden, *final = layer(hidden, initial_state=pair)
        states_out += final
        del layer_index
    logits = keras.layers.Dense(vocab, kernel_initializer=init)(hidden)
    return keras.Model([tokens, *states_in], [logits, *states_out]), 2 * LAYERS


def batches(stream: np.ndarray, batch: int, steps: int):
    usable = (len(stream) - 1) // batch * batch
    data = stream[: usable + 1]
    rows = data[:usable].reshape(batch, -1)
    targets = data[1 : usable + 1].reshape(batch, -1)
    for start in range(0, rows.shape[1] - steps + 1, steps):
        yield rows[:, start : start + steps], targets[:, start : start + steps]


class Runner:
    def __init__(self, kind: str, vocab: int):
        self.kind = kind
        self.model, self.n_states = build(kind, vocab)
        self.optimizer = keras.optimizers.SGD(1.0)
        self.optimizer.build(self.model.trainable_variables)
        variables = self.model.trainable_variables

        @tf.function
        def train_step(x, y, states, lr):
            self.optimizer.learning_rate.assign(lr)
            with tf.GradientTape() as tape:
                logits, *final = self.model([x, *states], training=True)
                per_token = tf.keras.losses.sparse_categorical_crossentropy(
                    y, logits, from_logits=True)
                # The tutorial's cost sums over the unrolled steps and averages over the
                # batch: 20x the per-token mean, so SGD at 1.0 takes steps 20x longer.
                cost = tf.reduce_sum(per_token) / BATCH
            grads = tape.gradient(cost, variables)
            grads, _ = tf.clip_by_global_norm(grads, 5.0)
            self.optimizer.apply(grads, variables)
            return tf.reduce_mean(per_token), final

        @tf.function
        def eval_step(x, y, states):
            logits, *final = self.model([x, *states], training=False)
            loss = tf.reduce_sum(tf.keras.losses.sparse_categorical_crossentropy(
                y, logits, from_logits=True))
            return loss, final

        self.train_step, self.eval_step = train_step, eval_step

    def zeros(self, batch: int):
        return [tf.zeros((batch, UNITS)) for _ in range(self.n_states)]

    def epoch(self, stream: np.ndarray, lr: float, max_steps: int | None) -> tuple[float, float]:
        states = self.zeros(BATCH)
        total, count = 0.0, 0
        started = time.perf_counter()
        for index, (x, y) in enumerate(batches(stream, BATCH, STEPS)):
            if max_steps is not None and index >= max_steps:
                break
            loss, states = self.train_step(x, y, states, tf.constant(lr))
            total += float(loss)
            count += 1
        return math.exp(total / max(count, 1)), time.perf_counter() - started

    def perplexity(self, stream: np.ndarray) -> float:
        states = self.zeros(EVAL_BATCH)
        total, count = 0.0, 0
        for x, y in batches(stream, EVAL_BATCH, EVAL_STEPS):
            loss, states = self.eval_step(x, y, states)
            total += float(loss)
            count += x.size
        return math.exp(total / count)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a reader (or a kill) sees the old or the new."""
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def load_checkpoint(out: Path, kind: str) -> tuple[list[dict], Path | None]:
    """The log entries and weights file of ``kind``'s last completed epoch (none: [])."""
    meta = out / f"{kind}.checkpoint.json"
    if not meta.exists():
        return [], None
    saved = json.loads(meta.read_text())
    return saved["log"], out / saved["weights"]


def save_checkpoint(out: Path, kind: str, model: keras.Model, entries: list[dict]) -> None:
    """Save ``model`` as of ``entries``' last epoch, then the checkpoint that names it."""
    epoch = entries[-1]["epoch"]
    weights = out / f"{kind}.epoch-{epoch}.weights.h5"
    # A new file per epoch: until the checkpoint names it, the previous epoch's
    # weights stay intact beside the checkpoint that names them.
    model.save_weights(weights)
    _, previous = load_checkpoint(out, kind)
    write_atomically(out / f"{kind}.checkpoint.json",
                     json.dumps({"weights": weights.name, "log": entries}, indent=2))
    if previous is not None and previous != weights and previous.exists():
        previous.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=13)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default="results/ptb_small")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--max-steps", type=int, default=None,
                        help="cap training steps per epoch (for a quick look)")
    parser.add_argument("--models", nargs="+", default=["genome", "keras"],
                        choices=["genome", "keras"])
    args = parser.parse_args()

    task = make_task("ptb-word", data_dir=args.data_dir)
    streams = {s: task.tokens(s) for s in ("train", "valid", "test")}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "curve.json"
    log: dict[str, list[dict]] = {}
    runners = {kind: Runner(kind, task.vocab_size) for kind in args.models}
    for kind, runner in runners.items():
        entries, weights = load_checkpoint(out, kind) if args.resume else ([], None)
        legacy = out / f"{kind}.weights.h5"
        if args.resume and weights is None and legacy.exists() and log_path.exists():
            # A run from before checkpoint files: its weights may be one epoch
            # ahead of its log; resuming is still better than starting over.
            entries = json.loads(log_path.read_text()).get(kind, [])
            weights = legacy if entries else None
            if entries:
                print(f"{kind}: older layout without {kind}.checkpoint.json; trusting "
                      f"curve.json")
        if weights is not None:
            runner.model.load_weights(weights)
            log[kind] = entries
            print(f"{kind}: resuming after epoch {entries[-1]['epoch']}")
    for epoch in range(1, args.epochs + 1):
        lr = 1.0 * 0.5 ** max(epoch - 4, 0)
        for kind, runner in runners.items():
            if len(log.get(kind, [])) >= epoch:
                continue
            train_ppl, seconds = runner.epoch(streams["train"], lr, args.max_steps)
            valid = runner.perplexity(streams["valid"])
            test = runner.perplexity(streams["test"])
            entry = {"epoch": epoch, "lr": lr, "train": train_ppl, "valid": valid,
                     "test": test, "seconds": seconds}
            log.setdefault(kind, []).append(entry)
            save_checkpoint(out, kind, runner.model, log[kind])
            write_atomically(log_path, json.dumps(log, indent=2))
            print(f"{kind:6s} epoch {epoch:2d} lr {lr:.4f}: train {train_ppl:8.1f}  "
                  f"valid {valid:8.1f}  test {test:8.1f}  ({seconds:.0f} s)", flush=True)
    print("\nlast epoch of each (published small config: valid 121.4, test 115.9):")
    for kind, entries in log.items():
        last = entries[-1]
        mean_seconds = sum(e["seconds"] for e in entries) / len(entries)
        print(f"  {kind:6s} after {last['epoch']} epochs: valid {last['valid']:.1f}, test "
              f"{last['test']:.1f}; {mean_seconds:.0f} s per epoch")
    if len(log) == 2:
        ratio = (sum(e["seconds"] for e in log["genome"]) / len(log["genome"])) / (
            sum(e["seconds"] for e in log["keras"]) / len(log["keras"]))
        print(f"  seconds per epoch, GenomeRNN(lstm_b) / keras LSTM: {ratio:.2f}")


if __name__ == "__main__":
    main()
