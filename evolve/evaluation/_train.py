"""Training one model under one hyperparameter setting, with failure detection."""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from evolve.evaluation._model import build_model
from evolve.evaluation.protocol import EvaluationProtocol
from evolve.evaluation.result import Status
from evolve.tasks import Split, Task
from genome import Genome

_LN2 = math.log(2.0)
#: Most points of a training-loss curve.
CURVE_POINTS = 50


@dataclass
class Outcome:
    """How one setting's training went.

    ``curve`` is ``[[step, mean training loss since the previous point], ...]``
    (at most :data:`CURVE_POINTS`, finite losses only); ``step_seconds`` the
    mean wall time of a training step after the first (which includes
    tracing), ``None`` with fewer than two steps.
    """

    status: Status
    valid: dict[str, float] = field(default_factory=dict)
    test: dict[str, float] = field(default_factory=dict)
    steps: int = 0
    final_loss: float = math.nan
    error: str = ""
    model: object = None
    curve: list[list[float]] = field(default_factory=list)
    step_seconds: float | None = None


class _OutOfTimeError(Exception):
    """The deadline passed while measuring; the message says where."""


class _Curve:
    """Mean training loss over fixed intervals of steps, at most CURVE_POINTS of them."""

    def __init__(self, total_steps: int):
        self.every = max(1, math.ceil(total_steps / CURVE_POINTS))
        self.points: list[list[float]] = []
        self._sum = 0.0
        self._count = 0

    def add(self, step: int, loss: float) -> None:
        self._sum += loss
        self._count += 1
        if step % self.every == 0:
            self.flush(step)

    def flush(self, step: int) -> None:
        """Close the interval ending at ``step`` (a partial one when training stops early)."""
        if self._count:
            self.points.append([step, self._sum / self._count])
        self._sum, self._count = 0.0, 0


def train_setting(genome: Genome, protocol: EvaluationProtocol, task: Task,
                  data: dict[str, Split], seed: int, learning_rate: float, init_scale: float,
                  deadline: float) -> Outcome:
    """Train from scratch and measure on validation and test.

    Returns an outcome whose status says whether training diverged (a
    non-finite loss or metric) or ran out of time.
    """
    with warnings.catch_warnings():
        # A cell that ignores its input leaves the embedding without gradient: expected.
        warnings.filterwarnings("ignore", message="Gradients do not exist", category=UserWarning)
        return _train(genome, protocol, task, data, seed, learning_rate, init_scale, deadline)


def _train(genome: Genome, protocol: EvaluationProtocol, task: Task, data: dict[str, Split],
           seed: int, learning_rate: float, init_scale: float, deadline: float) -> Outcome:
    keras.utils.set_random_seed(seed)
    model = build_model(genome, protocol, task.vocab_size, init_scale, seed)
    if protocol.optimizer == "adam":
        optimizer = keras.optimizers.Adam(learning_rate)
    else:
        optimizer = keras.optimizers.SGD(learning_rate)
    variables = model.trainable_variables
    optimizer.build(variables)
    clip = protocol.clip_norm

    @tf.function(reduce_retracing=True)
    def step(inputs, targets, weights):
        with tf.GradientTape() as tape:
            logits = model(inputs, training=True)
            losses = tf.keras.losses.sparse_categorical_crossentropy(
                targets, logits, from_logits=True)
            loss = tf.reduce_sum(losses * weights) / tf.maximum(tf.reduce_sum(weights), 1.0)
        grads = tape.gradient(loss, variables)
        if clip > 0:
            grads, _ = tf.clip_by_global_norm(grads, clip)
        optimizer.apply(grads, variables)
        return loss

    train = data["train"]
    order = np.random.default_rng(seed).permutation(len(train))
    batch = protocol.batch_size
    loss = math.nan
    curve = _Curve(protocol.train_steps)
    after_first = math.nan

    def seconds_per_step(done: int) -> float | None:
        if done < 2:
            return None
        return (time.monotonic() - after_first) / (done - 1)

    for index in range(protocol.train_steps):
        rows = order[(np.arange(batch) + index * batch) % len(order)]
        loss = float(step(train.inputs[rows], train.targets[rows], train.weights[rows]))
        if index == 0:
            after_first = time.monotonic()
        if not math.isfinite(loss):
            curve.flush(index)  # the finite steps before this one
            return Outcome(Status.DIVERGED, steps=index + 1, final_loss=loss,
                           error=f"loss became {loss} at training step {index + 1}",
                           curve=curve.points, step_seconds=seconds_per_step(index + 1))
        curve.add(index + 1, loss)
        if time.monotonic() > deadline:
            curve.flush(index + 1)
            return Outcome(Status.TIMEOUT, steps=index + 1, final_loss=loss,
                           error=f"time budget of {protocol.time_budget:g} s ran out at "
                                 f"training step {index + 1} of {protocol.train_steps}",
                           curve=curve.points, step_seconds=seconds_per_step(index + 1))
    curve.flush(protocol.train_steps)
    trained = {"steps": protocol.train_steps, "final_loss": loss, "curve": curve.points,
               "step_seconds": seconds_per_step(protocol.train_steps)}
    try:
        valid = measure(model, task, data["valid"], batch, deadline, "validation")
        if not all(math.isfinite(v) for v in valid.values() if not _optional(v)):
            return Outcome(Status.DIVERGED, valid=valid, error="validation metrics are not "
                           "finite", **trained)
        test = measure(model, task, data["test"], batch, deadline, "test")
    except _OutOfTimeError as error:
        return Outcome(Status.TIMEOUT, error=f"time budget of {protocol.time_budget:g} s ran "
                                             f"out {error}", **trained)
    return Outcome(Status.DONE, valid, test, model=model, **trained)


def _optional(value: float) -> bool:
    return isinstance(value, float) and math.isnan(value)


def measure(model: keras.Model, task: Task, split: Split, batch: int,
            deadline: float = math.inf, name: str = "") -> dict[str, float]:
    """Cross-entropy, bits per token, perplexity, accuracy and the task's own metrics.

    Raises:
        _OutOfTimeError: ``deadline`` (``time.monotonic()``) passed between two
            batches; the message names split ``name`` and the batch.
    """

    @tf.function(reduce_retracing=True)
    def forward(inputs, targets):
        logits = model(inputs, training=False)
        nats = tf.keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True)
        return nats, tf.argmax(logits, axis=-1, output_type=tf.int32)

    size = max(batch, 64)
    batches = math.ceil(len(split) / size)
    nats_parts, prediction_parts = [], []
    for number, start in enumerate(range(0, len(split), size), start=1):
        nats, predictions = forward(split.inputs[start:start + size],
                                    split.targets[start:start + size])
        nats_parts.append(nats.numpy())
        prediction_parts.append(predictions.numpy())
        # Measuring a whole PTB split can take as long as training: it counts too.
        if time.monotonic() > deadline:
            raise _OutOfTimeError(f"measuring {name or 'a split'}, after batch {number} of "
                                  f"{batches} ({min(start + size, len(split)):,} of "
                                  f"{len(split):,} sequences)")
    nats = np.concatenate(nats_parts)
    predictions = np.concatenate(prediction_parts)
    weights = split.weights
    total = float(weights.sum())
    mean_nats = float((nats * weights).sum() / total)
    accuracy = float(((predictions == split.targets) * weights).sum() / total)
    metrics = {
        "cross_entropy": mean_nats,
        "bpc": mean_nats / _LN2,
        "perplexity": math.exp(min(mean_nats, 700.0)),
        "accuracy": accuracy,
    }
    metrics.update(task.extra_metrics(split, predictions))
    return metrics
