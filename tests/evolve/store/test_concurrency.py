"""Many real processes on one database: nothing claimed twice, nothing lost, no lock errors."""

from __future__ import annotations

import multiprocessing
import random
import time

import pytest

from evolve.store import EvaluationStatus
from tests.evolve.store import _workers
from tests.evolve.store.helpers import variant, variant_text

EVALUATIONS = 200


def _processes(url: str) -> int:
    # SQLite is the harder case for lock contention: more writers than cores.
    return 8 if url.startswith("sqlite") else 5


def _in_processes(function, argument_lists):
    """Run ``function(*arguments, barrier)`` in one spawned process per argument list."""
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(len(argument_lists)), context.Queue()
    processes = [context.Process(target=_workers.report_to,
                                 args=(queue, function, *arguments, barrier))
                 for arguments in argument_lists]
    for process in processes:
        process.start()
    try:
        reports = [queue.get(timeout=240) for _ in processes]
    finally:
        for process in processes:
            process.join(30)
    errors = [r["error"] for r in reports if "error" in r]
    assert not errors, errors[0]
    assert [p.exitcode for p in processes] == [0] * len(processes)
    return reports


def test_processes_claim_and_finish_each_evaluation_exactly_once(url, store):
    genomes = [variant(i) for i in range(EVALUATIONS // 2)]
    store.add_genomes(genomes)
    added = store.add_evaluations([(g.hash, task, "p", 0) for g in genomes
                                   for task in ("copy", "xml")])
    assert len(added.created) == EVALUATIONS

    reports = _in_processes(_workers.claim_and_finish,
                            [(url, f"worker-{i}", i) for i in range(_processes(url))])
    claimed = [i for r in reports for i in r["claimed"]]
    assert len(claimed) == EVALUATIONS  # nobody got one twice ...
    assert set(claimed) == set(added.created)  # ... and none was lost
    assert sum(1 for r in reports if r["claimed"]) >= 2  # they really competed
    by_worker = {i: r["worker"] for r in reports for i in r["claimed"]}
    for genome_ in genomes[:20]:
        for evaluation in store.evaluations(genome_):
            assert evaluation.status is EvaluationStatus.DONE
            assert evaluation.attempts == 1
            assert evaluation.score == float(evaluation.id)
            assert evaluation.worker == by_worker[evaluation.id]
            assert evaluation.metrics == {"worker": by_worker[evaluation.id]}
    assert store.evaluation_counts()[EvaluationStatus.DONE] == EVALUATIONS


def test_processes_adding_overlapping_genomes_store_each_once(url, store):
    rng = random.Random(3)
    pool_size, n = 90, 4
    subsets = []
    for _ in range(n):
        chosen = rng.sample(range(pool_size), 60)
        rng.shuffle(chosen)
        subsets.append(chosen)
    reports = _in_processes(_workers.add_overlapping_genomes, [(url, s) for s in subsets])
    union = {i for s in subsets for i in s}
    agreed: dict[str, int] = {}
    for report in reports:
        for digest, genome_id in report["ids"].items():
            assert agreed.setdefault(digest, genome_id) == genome_id  # one id per hash
    assert set(agreed) == {variant(i).hash for i in union}
    assert len(set(agreed.values())) == len(union)
    # Every genome is there exactly once: adding them all again creates nothing new.
    again = store.add_genomes([variant_text(i) for i in range(pool_size)])
    assert {h: again[h] for h in agreed} == agreed
    assert len(set(again.values())) == pool_size
    assert max(again.values()) - min(again.values()) + 1 >= pool_size


@pytest.mark.parametrize("url", ["sqlite"], indirect=True)
def test_a_busy_sqlite_writer_is_waited_for_not_reported(url, tmp_path, open_store):
    store = open_store()
    path = url.removeprefix("sqlite:///")
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    holder = context.Process(target=_workers.hold_write_lock, args=(path, 1.0, ready))
    holder.start()
    try:
        assert ready.wait(60)
        started = time.monotonic()
        ids = store.add_genomes([variant(1)])  # waits until the holder commits
        assert time.monotonic() - started > 0.3
        assert list(ids) == [variant(1).hash]
    finally:
        holder.join(30)
    assert holder.exitcode == 0


@pytest.mark.parametrize("url", ["sqlite"], indirect=True)
def test_a_lock_held_past_the_timeout_is_a_clear_error_and_stores_nothing(url, open_store):
    from evolve.store import StoreError

    store = open_store(timeout=0.3)
    path = url.removeprefix("sqlite:///")
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    holder = context.Process(target=_workers.hold_write_lock, args=(path, 60.0, ready))
    holder.start()
    try:
        assert ready.wait(60)
        with pytest.raises(StoreError, match="locked"):
            store.add_genomes([variant(1)])
    finally:
        holder.terminate()  # a dead process's SQLite locks go with it
        holder.join(30)
    assert store.add_genomes([variant(2)]) == {variant(2).hash: 1}  # the first never landed
