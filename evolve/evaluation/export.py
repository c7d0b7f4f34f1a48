"""Saving a genome as a Keras model file, untrained or trained on a task."""

from __future__ import annotations

import math
import time
from pathlib import Path

from evolve.evaluation.evaluate import _data, failure_of, task_for, train_settings
from evolve.evaluation.presets import preset_protocol
from evolve.evaluation.protocol import EvaluationProtocol
from genome import Genome

__all__ = ["MAX_WIDTH", "export_model"]

#: The widest layer (units or input width) an export builds: the bound every
#: protocol puts on its units, so that a typo cannot ask for gigabytes.
MAX_WIDTH = 8192


def _protocol(task: str, campaign: str | None, store) -> EvaluationProtocol:
    if campaign is None:
        return preset_protocol(task, "quick")
    if store is None:
        raise ValueError("--campaign needs a database (--db)")
    stored = store.campaign(campaign).config.get("protocols", {})
    if task not in stored:
        raise ValueError(f"campaign {campaign!r} has no task {task!r}; its tasks are "
                         f"{', '.join(stored) or 'none'}")
    return EvaluationProtocol.from_dict(stored[task])


def export_model(genome: Genome, out: str | Path, units: int = 128, input_dim: int | None = None,
                 train_task: str | None = None, campaign: str | None = None, store=None,
                 data_dir: str | None = None, seed: int = 0,
                 protocol: EvaluationProtocol | None = None) -> tuple[Path, str]:
    """Write a ``.keras`` file with the cell; returns the path and a one-line summary.

    Untrained: ``Input((None, input_dim))`` -> ``GenomeRNN(units, return_sequences=True)``.
    Trained: the task's whole model (embedding, cell, softmax) after training
    under ``protocol``, or the campaign's protocol for ``train_task`` (or its
    ``quick`` preset): every setting the protocol tries, as an evaluation
    does, keeping the best on validation, so the model is the one its score
    came from. The file loads with ``keras.saving.load_model(path)`` after
    ``import cells``.
    """
    out = Path(out)
    if out.suffix != ".keras":
        raise ValueError(f"the output file must end in .keras, got {out.name}")
    for name, flag, value in (("units", "units", units), ("input_dim", "input-dim", input_dim)):
        # Checked before TensorFlow starts: a refusal should be instant.
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not 1 <= value <= MAX_WIDTH):
            raise ValueError(f"{name} (--{flag}) must be an integer from 1 to {MAX_WIDTH:,}, "
                             f"got {value!r}")
    from cells._tf import import_tensorflow

    import_tensorflow()
    import keras

    from cells import GenomeRNN

    if train_task is None:
        width = input_dim or units
        model = keras.Sequential([keras.Input((None, width)),
                                  GenomeRNN(genome, units, return_sequences=True)])
        model.save(out)
        return out, (f"untrained; input (batch, steps, {width}) -> (batch, steps, {units}); "
                     f"{model.count_params():,} parameters")
    protocol = protocol or _protocol(train_task, campaign, store)
    if protocol.task != train_task:
        raise ValueError(f"the protocol is for {protocol.task}, not for {train_task}")
    if campaign is not None:  # the campaign's own training seed, so numbers match its table
        from evolve.campaign.config import stored_training_seeds

        stored = store.campaign(campaign)
        seed = (stored_training_seeds(stored.config, stored.seed) or [seed])[0]
    task = task_for(protocol, data_dir)
    settings, best = train_settings(genome, protocol, task, _data(protocol.hash, task, protocol),
                                    seed, time.monotonic() + protocol.time_budget)
    if best is None:
        status, errors = failure_of(settings)
        raise RuntimeError(f"training on {train_task} ended with {status.value}: {errors}")
    _, outcome, record = best
    outcome.model.save(out)
    metric = task.metric.name
    # Both splits, named: `evolve show` and the campaign's ranking use the
    # validation value, so that is the one to compare with them.
    valid = outcome.valid.get(metric, math.nan)
    test = outcome.test.get(metric, math.nan)
    tried = (f", the best on validation of {len(settings)} settings tried"
             if len(settings) > 1 else "")
    return out, (f"trained on {train_task} ({protocol.train_steps} steps, units "
                 f"{protocol.units}, lr {record['learning_rate']:g}, init scale "
                 f"{record['init_scale']:g}{tried}, "
                 f"seed {seed}); valid {metric} {valid:.4f}, test {metric} {test:.4f}")
