"""Workers: claim pending evaluations from the store, run them, write the results back.

A worker needs nothing but the database: it can run in the campaign's own
process, in a local process pool, on a Dask cluster or by hand on another
machine (``evolve worker --db URL``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import traceback
import uuid
from dataclasses import dataclass

from evolve.campaign.liveness import serving
from evolve.evaluation import EvaluationProtocol, EvaluationResult
from evolve.store import (
    AlreadyFinishedError,
    EvaluationRecord,
    LeaseLostError,
    Store,
    StoreError,
)

__all__ = ["WorkerOptions", "configure_threads", "oriented_score", "run_claimed", "run_one",
           "worker_loop", "worker_name"]


@dataclass(frozen=True)
class WorkerOptions:
    """How a worker behaves.

    Attributes:
        heartbeat: seconds between heartbeats while evaluating.
        hard_limit_factor: an evaluation running longer than this many times
            its protocol's time budget (plus a minute) is recorded as a
            ``timeout`` and the worker process exits, so a hung candidate
            cannot hold a worker forever.
        idle_sleep: seconds to wait when nothing is pending.
        data_dir: Penn Treebank directory, for the PTB tasks.
        threads: TensorFlow threads per worker (0: TensorFlow's default).
    """

    heartbeat: float = 5.0
    hard_limit_factor: float = 2.0
    idle_sleep: float = 0.5
    data_dir: str | None = None
    threads: int = 0


def worker_name(kind: str = "worker", suffix: str | None = None, pid: int | None = None) -> str:
    """A unique worker name: host, pid and a suffix (random unless given).

    A process that starts workers names them ahead with ``pid`` (the child's)
    and its own ``suffix``, so that it can give back what they held when it
    stops them.
    """
    return (f"{kind}:{socket.gethostname()}:{os.getpid() if pid is None else pid}:"
            f"{suffix or uuid.uuid4().hex[:6]}")


def oriented_score(result: EvaluationResult) -> float | None:
    """The headline value turned so that higher is better (None for a failure)."""
    if not result.ok:
        return None
    return result.value if result.higher_is_better else -result.value


def protocols_of(store: Store, campaign: str | None) -> dict[str, EvaluationProtocol]:
    """Protocols by hash, from the configuration stored with the campaign(s)."""
    records = [store.campaign(campaign)] if campaign else store.campaigns()
    protocols = {}
    for record in records:
        for data in record.config.get("protocols", {}).values():
            protocol = EvaluationProtocol.from_dict(data)
            protocols[protocol.hash] = protocol
    return protocols


def run_claimed(store: Store, record: EvaluationRecord, protocol: EvaluationProtocol,
                worker: str, options: WorkerOptions) -> None:
    """Evaluate one claimed evaluation and record its result (heartbeating meanwhile)."""
    from evolve.evaluation import evaluate

    stop = threading.Event()
    started = time.monotonic()
    hard_limit = protocol.time_budget * options.hard_limit_factor + 60.0

    def beat() -> None:
        while not stop.wait(options.heartbeat):
            with contextlib.suppress(StoreError):  # a missed beat is harmless; silence counts
                store.heartbeat([record.id], worker)
            if time.monotonic() - started > hard_limit:
                try:
                    store.finish(record.id, "timeout", worker=worker,
                                 error=f"no result after {hard_limit:.0f} s (hard limit); "
                                       f"the worker was stopped")
                finally:
                    os._exit(75)  # the evaluation is stuck in native code: leave

    thread = threading.Thread(target=beat, name=f"heartbeat-{record.id}", daemon=True)
    thread.start()
    try:
        genome = store.genome(record.genome_hash).genome
        result = evaluate(genome, protocol, seed=record.seed, data_dir=options.data_dir)
    except Exception as error:  # a task or data problem: record it, keep serving
        summary = "".join(traceback.format_exception_only(type(error), error)).strip()
        with contextlib.suppress(AlreadyFinishedError, LeaseLostError):
            store.finish(record.id, "failed", worker=worker, error=summary[:4000])
        return
    finally:
        stop.set()
    # Taken back after missed heartbeats and finished elsewhere: that result stands.
    with contextlib.suppress(AlreadyFinishedError, LeaseLostError):
        store.finish(record.id, result.status.value, score=oriented_score(result),
                     metrics=result.to_dict(), error=result.error or None, worker=worker)


def run_one(store: Store, worker: str, options: WorkerOptions,
            campaign: str | int | None = None,
            protocols: dict[str, EvaluationProtocol] | None = None,
            tasks: list[str] | None = None, ids: list[int] | None = None) -> int | None:
    """Claim and run one pending evaluation; its id, or None if nothing was pending.

    Args:
        campaign: only this campaign's evaluations (None: any).
        protocols: protocols by hash (default: the campaign's, read from the store).
        tasks: only evaluations of these tasks.
        ids: only these evaluations.
    """
    claimed = store.claim(worker, limit=1, campaign=campaign, tasks=tasks, ids=ids)
    if not claimed:
        return None
    record = claimed[0]
    protocols = protocols if protocols is not None else protocols_of(store, campaign)
    protocol = protocols.get(record.protocol_hash)
    if protocol is None:
        protocols.update(protocols_of(store, None))
        protocol = protocols.get(record.protocol_hash)
    if protocol is None:
        store.finish(record.id, "failed", worker=worker,
                     error=f"no campaign in this database defines protocol "
                           f"{record.protocol_hash[:12]}")
        return record.id
    run_claimed(store, record, protocol, worker, options)
    return record.id


def configure_threads(threads: int) -> None:
    """Limit TensorFlow in this process to ``threads`` threads (0: leave its default)."""
    if threads > 0:
        from cells._tf import import_tensorflow

        tf = import_tensorflow()
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:
            pass  # TensorFlow already started in this process; keep its threads


def worker_loop(store: Store | str, campaign: str | None, options: WorkerOptions,
                parent_pid: int | None = None, max_evaluations: int | None = None,
                name: str | None = None) -> int:
    """Run evaluations until the campaign stops (or, without a campaign, until idle).

    With a campaign, the worker looks at it before every claim, not only when
    idle: once the campaign is stopped, or its coordinator has stopped beating
    (killed), it claims nothing more and returns after the evaluation in hand.

    Args:
        store: the database (a Store or its URL).
        campaign: only this campaign's evaluations (None: any campaign's).
        options: heartbeat, limits, data directory, threads.
        parent_pid: exit when this process is gone (a killed campaign leaves
            no orphan workers claiming work).
        max_evaluations: stop after this many.
        name: the worker's name in the store (default: a new unique one).

    Returns:
        How many evaluations this worker ran.
    """
    configure_threads(options.threads)
    store = Store(store) if isinstance(store, str) else store
    name = name or worker_name()
    protocols = protocols_of(store, campaign)
    done = 0
    try:
        while max_evaluations is None or done < max_evaluations:
            if parent_pid is not None and os.getppid() != parent_pid:
                break
            if campaign is not None and not serving(store, campaign):
                break
            if run_one(store, name, options, campaign, protocols) is not None:
                done += 1
                continue
            if campaign is None:
                break
            time.sleep(options.idle_sleep)
    finally:
        store.close()
    return done
