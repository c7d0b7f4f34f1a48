"""Functions run in spawned worker processes by the concurrency tests.

They live in an importable module because spawn starts a fresh interpreter
that imports its target by name.
"""

from __future__ import annotations

import random
import time
import traceback
from typing import Any

from evolve.store import Store
from tests.evolve.store.helpers import variant_text


def open_and_report(url: str) -> str:
    """Open the store (creating the database if needed) and report its revision."""
    from evolve.store import _migrate
    from evolve.store._engine import Database

    Store(url).close()
    database = Database(url)
    try:
        return _migrate.current_revision(database)
    finally:
        database.dispose()


def report_to(queue: Any, function: Any, *arguments: Any) -> None:
    """Process entry point: run ``function`` and put its report (or traceback) on ``queue``."""
    try:
        queue.put(function(*arguments))
    except BaseException:
        queue.put({"error": traceback.format_exc()})


def claim_and_finish(url: str, worker: str, seed: int, barrier: Any) -> dict[str, Any]:
    """Claim evaluations in small random batches until none is pending; finish each."""
    rng = random.Random(seed)
    store = Store(url)
    barrier.wait(timeout=120)
    claimed: list[int] = []
    idle = 0
    while idle < 3:
        batch = store.claim(worker, limit=rng.randint(1, 3))
        if not batch:
            idle += 1  # others may still be between claim and finish
            time.sleep(0.02)
            continue
        idle = 0
        ids = [e.id for e in batch]
        assert store.heartbeat(ids, worker) == sorted(ids), "another worker holds one"
        for evaluation in batch:
            claimed.append(evaluation.id)
            store.finish(evaluation.id, "done", score=float(evaluation.id),
                         metrics={"worker": worker}, worker=worker)
    store.close()
    return {"worker": worker, "claimed": claimed}


def add_overlapping_genomes(url: str, indices: list[int], barrier: Any) -> dict[str, Any]:
    """Add genomes (given by variant index) in a few batches; report hash -> id."""
    store = Store(url)
    barrier.wait(timeout=120)
    ids: dict[str, int] = {}
    for start in range(0, len(indices), 15):
        ids.update(store.add_genomes([variant_text(i) for i in indices[start:start + 15]]))
    store.close()
    return {"ids": ids}


def hold_write_lock(path: str, seconds: float, ready: Any) -> None:
    """Hold SQLite's write lock on ``path`` for ``seconds``, as a busy writer would."""
    import sqlite3

    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    ready.set()
    time.sleep(seconds)
    connection.execute("COMMIT")
    connection.close()
