"""Campaign overhead and throughput.

1. Overhead: a campaign run in one process (inline executor) spends its wall
   time either inside evaluations (building, tracing, training, measuring
   candidates) or outside them (operators, de-duplication, database,
   dispatch, waiting). Prints the share outside; target under 5%.
2. Throughput: the same campaign with a local pool of 1 and of 2 worker
   processes; prints evaluations per hour of each and their ratio.

The campaign is the ``quick`` preset's tasks and protocols (memorization
screen, arithmetic, XML), 16 candidates, so each run takes a few minutes.

Usage:
    python benchmarks/campaign_overhead.py [--budget 16] [--skip-pool]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from evolve.campaign import Campaign, InlineExecutor, LocalExecutor, load_config
from evolve.store import Store


def config(budget: int):
    # The quick preset's tasks and protocols (memorization screen, arithmetic, XML).
    return load_config("quick", budget=budget, batch=4, initial=["rnn", "gru", "mgu", "mingru"])


def run(directory: Path, name: str, executor, budget: int) -> tuple[float, int, float]:
    store = Store(f"sqlite:///{directory / (name + '.db')}")
    started = time.perf_counter()
    Campaign.create(store, name, config(budget), seed=1).run(executor, poll=0.2)
    wall = time.perf_counter() - started
    inside = 0.0
    count = 0
    for member in store.members(name):
        for evaluation in store.evaluations(member.genome_hash):
            count += 1
            inside += (evaluation.metrics or {}).get("seconds", 0.0)
    store.close()
    return wall, count, inside


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=int, default=16)
    parser.add_argument("--skip-pool", action="store_true", help="only the overhead run")
    args = parser.parse_args()
    # TensorFlow and Keras load once per process (seconds); that start-up is not part of
    # what a campaign spends per candidate, so it is timed apart.
    started = time.perf_counter()
    from cells._tf import import_tensorflow

    import_tensorflow()
    import keras  # noqa: F401

    print(f"one-time start-up (TensorFlow and Keras import): {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        wall, count, inside = run(directory, "inline", InlineExecutor(), args.budget)
        outside = wall - inside
        print(f"inline: {count} evaluations in {wall:.1f} s; inside evaluations {inside:.1f} s; "
              f"outside {outside:.1f} s = {100 * outside / wall:.1f}% of wall time "
              f"(target < 5%)")
        if args.skip_pool:
            return
        rates = {}
        for workers in (1, 2):
            wall, count, _ = run(directory, f"pool{workers}", LocalExecutor(workers),
                                 args.budget)
            rates[workers] = count / wall * 3600
            print(f"local pool, {workers} worker(s): {count} evaluations in {wall:.1f} s = "
                  f"{rates[workers]:.0f} evaluations per hour")
        print(f"ratio 2 workers / 1 worker: {rates[2] / rates[1]:.2f}")


if __name__ == "__main__":
    main()
