"""Evaluating a genome: data, hyperparameter settings, failure handling, one result."""

from __future__ import annotations

import functools
import math
import time
import traceback
from typing import Any

from evolve.evaluation.protocol import EvaluationProtocol
from evolve.evaluation.result import EvaluationResult, Status
from evolve.tasks import Split, Task, make_task
from genome import Genome, GenomeError

__all__ = ["evaluate", "task_for"]


@functools.lru_cache(maxsize=16)
def _task(name: str, params_json: str, data_dir: str | None) -> Task:
    import json

    return make_task(name, data_dir=data_dir, **json.loads(params_json))


def task_for(protocol: EvaluationProtocol, data_dir: str | None = None) -> Task:
    """The task a protocol names, built once per process."""
    import json

    return _task(protocol.task, json.dumps(protocol.task_params, sort_keys=True), data_dir)


#: Most training sequences generated; longer trainings go round them again.
TRAIN_POOL = 65_536
#: Most tokens in the training pool: fewer sequences when they are long.
TRAIN_TOKENS = 16 * 2**20
#: Sequences generated first to learn a task's sequence length.
_PROBE = 16


def train_pool_size(task: Task, protocol: EvaluationProtocol) -> int:
    """How many training sequences to generate for ``protocol``.

    Enough for every step to see new sequences, but at most :data:`TRAIN_POOL`
    and at most about :data:`TRAIN_TOKENS` tokens, never under one batch.
    Deterministic: it depends only on the task, the protocol and the data seed.
    """
    count = min(protocol.train_steps * protocol.batch_size, TRAIN_POOL)
    probe = task.split("train", protocol.data_seed, min(count, _PROBE))
    width = max(1, probe.inputs.shape[1])
    return max(protocol.batch_size, min(count, TRAIN_TOKENS // width))


@functools.lru_cache(maxsize=4)
def _data(protocol_hash: str, task: Task, protocol: EvaluationProtocol) -> dict[str, Split]:
    """The splits a protocol trains and measures on, cached per process.

    Memory: a split costs 12 bytes per token (int32 inputs and targets,
    float32 weights). The training pool holds at most ``TRAIN_TOKENS`` (16 Mi)
    tokens, about 200 MB, or one batch if that is more; valid and test are
    ``valid_sequences`` and ``test_sequences`` long. At most 4 protocols' data
    stay cached, so a campaign's few protocols are not regenerated per
    candidate while a process stays within a bounded footprint.
    """
    count = train_pool_size(task, protocol)
    train = task.split("train", protocol.data_seed, count)
    # Sequence lengths vary (arithmetic): where the probe underestimated
    # them, drop rows rather than exceed the token bound.
    rows = max(protocol.batch_size, TRAIN_TOKENS // max(1, train.inputs.shape[1]))
    if len(train) > rows:
        train = train.batch(0, rows)  # a copy, so the larger arrays are freed
    valid = task.split("valid", protocol.data_seed, protocol.valid_sequences)
    test = task.split("test", protocol.data_seed, protocol.test_sequences)
    return {"train": train, "valid": valid, "test": test}


def evaluate(genome: Genome, protocol: EvaluationProtocol, seed: int = 0,
             data_dir: str | None = None) -> EvaluationResult:
    """Train and measure ``genome`` on ``protocol``'s task; never raises for a bad candidate.

    Each (learning rate, init scale) setting is trained from scratch; the
    setting with the best validation metric is kept. A non-finite loss gives
    ``diverged``, the time budget running out gives ``timeout``, and any
    exception gives ``failed`` with its message; a failure's value is the
    worst possible, never NaN.

    Args:
        genome: the candidate cell.
        protocol: task, sizes, budgets and hyperparameters.
        seed: seeds weight initialisation and batch order (with the setting index).
        data_dir: where Penn Treebank is, for the PTB tasks.

    Returns:
        The result. Same genome, protocol and seed: same result (timings
        aside). Each entry of ``metrics["settings"]`` has the setting's
        training-loss ``curve`` (at most 50 ``[step, mean loss]`` points) and
        ``step_seconds`` (mean seconds per step after the first, which
        includes tracing); ``metrics["curve"]`` and ``metrics["step_seconds"]``
        are the best setting's.

    Raises:
        evolve.tasks.DataError: when the task's data cannot be read (that is
            no fault of the candidate).
    """
    from cells._tf import import_tensorflow

    import_tensorflow()  # before Keras loads it, so its start-up chatter stays hidden

    started = time.monotonic()
    deadline = started + protocol.time_budget
    task = task_for(protocol, data_dir)
    metric = task.metric
    base = {"task": protocol.task, "metric": metric.name,
            "higher_is_better": metric.higher_is_better}

    def failure(status: Status, error: str, metrics: dict | None = None,
                params: int = 0) -> EvaluationResult:
        return EvaluationResult(status=status, value=metric.worst(),
                                metrics=_json_safe(metrics or {}),
                                params=params, seconds=time.monotonic() - started,
                                error=error[:4000], **base)

    try:
        params = _recurrent_param_count(genome, protocol)
    except GenomeError as error:
        return failure(Status.FAILED, str(error))
    if params > protocol.max_params:
        return failure(Status.FAILED, f"{params:,} parameters, over the protocol's limit of "
                                      f"{protocol.max_params:,}", params=params)
    data = _data(protocol.hash, task, protocol)
    settings, best = train_settings(genome, protocol, task, data, seed, deadline)
    if best is None:
        return failure(*failure_of(settings), {"settings": settings}, params)
    value, outcome, record = best
    metrics = {f"valid_{k}": v for k, v in outcome.valid.items()}
    metrics.update({f"test_{k}": v for k, v in outcome.test.items()})
    metrics["learning_rate"] = record["learning_rate"]
    metrics["init_scale"] = record["init_scale"]
    metrics["curve"] = record["curve"]
    metrics["step_seconds"] = record["step_seconds"]
    metrics["settings"] = settings
    return EvaluationResult(status=Status.DONE, value=value, metrics=_json_safe(metrics),
                            params=params, seconds=time.monotonic() - started, **base)


def train_settings(genome: Genome, protocol: EvaluationProtocol, task, data: dict,
                   seed: int, deadline: float) -> tuple[list[dict], tuple | None]:
    """Train under each (learning rate, init scale) setting in turn, from scratch.

    Returns one record per setting tried and the best on validation as
    ``(value, outcome, record)``, or None when none finished. Setting i is
    seeded with ``seed + 7919 i``; a timeout stops the remaining settings.
    """
    from evolve.evaluation._train import train_setting

    metric = task.metric
    settings = []
    best = None
    for index, (learning_rate, init_scale) in enumerate(protocol.settings):
        try:
            # Keras accepts seeds below 2**32; each setting gets its own.
            setting_seed = (seed + 7919 * index) % 2**32
            outcome = train_setting(genome, protocol, task, data, setting_seed,
                                    learning_rate, init_scale, deadline)
        except Exception as error:  # a crashing candidate must not stop the campaign
            summary = "".join(traceback.format_exception_only(type(error), error)).strip()
            settings.append({"learning_rate": learning_rate, "init_scale": init_scale,
                             "status": Status.FAILED.value, "error": summary[:1000],
                             "curve": [], "step_seconds": None})
            continue
        record = {"learning_rate": learning_rate, "init_scale": init_scale,
                  "status": outcome.status.value, "steps": outcome.steps,
                  "final_loss": outcome.final_loss if math.isfinite(outcome.final_loss)
                  else None, "curve": outcome.curve, "step_seconds": outcome.step_seconds}
        if outcome.status is Status.DONE:
            record["valid"] = outcome.valid
            value = outcome.valid[metric.name]
            better = (best is None or (value > best[0] if metric.higher_is_better
                                       else value < best[0]))
            if better:
                best = (value, outcome, record)
        else:
            record["error"] = outcome.error
        settings.append(record)
        if outcome.status is Status.TIMEOUT:
            break
    return settings, best


def failure_of(settings: list[dict]) -> tuple[Status, str]:
    """The status and errors of a run in which no setting finished."""
    statuses = [Status(s["status"]) for s in settings]
    status = next((s for s in (Status.DIVERGED, Status.TIMEOUT, Status.FAILED)
                   if s in statuses), Status.FAILED)
    return status, "; ".join(s["error"] for s in settings if s.get("error"))


def _recurrent_param_count(genome: Genome, protocol: EvaluationProtocol) -> int:
    first = genome.param_count(protocol.embedding_width, protocol.units)
    rest = genome.param_count(protocol.units, protocol.units) * (protocol.layers - 1)
    return first + rest


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value
