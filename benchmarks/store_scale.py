"""How the store holds up at campaign scale: insert rates and query latencies.

Fills a throwaway database (a temporary SQLite file; a PostgreSQL schema
dropped at the end) with N genomes, their campaign memberships and lineage,
and M evaluations (mostly done, some failed, some pending), then times the
queries a user and the workers run: ``best(k=10)`` per task and per
campaign, ``lineage()``, hash-prefix lookup and a claim/finish cycle.

    python benchmarks/store_scale.py                        # 100,000 / 300,000, both backends
    python benchmarks/store_scale.py --genomes 10000 --evaluations 30000 --backend sqlite

The target is ``best`` under 50 ms at 100,000 genomes and 300,000 evaluations.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import genome
from evolve.store import NewEvaluation, Store

TARGET_MS = 50.0
TASKS = ("copy", "xml", "ptb_char")
TEMPLATES = (
    "h' = tanh(W x + U h + b({i}))",
    "h' = relu(W x + U h + b({i}))",
    "z = sigmoid(W x + U h + b({i}))\nh' = z * h + (1 - z) * tanh(W x + U h + b)",
    "h' = sigmoid(W x + b({i})) * tanh(W x + U h + b)",
)
DEFAULT_PG = os.environ.get("EVOLVE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _genomes(count: int, batch: int) -> Iterator[tuple[list[genome.Genome], float]]:
    """Distinct genomes in batches, with the seconds spent building (and hashing) them."""
    for start in range(0, count, batch):
        began = time.perf_counter()
        items = []
        for i in range(start, min(count, start + batch)):
            g = genome.parse(TEMPLATES[i % len(TEMPLATES)].format(i=i // len(TEMPLATES) + 2))
            g.hash  # noqa: B018 - hashing is generation cost, not insert cost
            items.append(g)
        yield items, time.perf_counter() - began


def _timed(function: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median and worst wall time of ``function`` in milliseconds (after one warm-up call)."""
    function()
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        function()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), max(times)


@contextmanager
def _sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="evolve-bench-") as directory:
        yield f"sqlite:///{Path(directory) / 'bench.db'}"


@contextmanager
def _postgres_url(base: str) -> Iterator[str]:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(base)
    connect = dict(host=url.host, port=url.port or 5432, user=url.username,
                   password=url.password, dbname=url.database, autocommit=True)
    schema = f"evolve_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(**connect) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(**connect) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _rate(rows: int, seconds: float) -> str:
    return f"{rows:>9,} rows {seconds:7.1f} s {rows / seconds:>9,.0f} rows/s"


def run(url: str, label: str, args: argparse.Namespace) -> dict[str, float]:
    """Fill the database at ``url`` and print the figures; returns the query medians (ms)."""
    rng = random.Random(args.seed)
    store = Store(url)
    print(f"\n== {label}: {args.genomes:,} genomes, {args.evaluations:,} evaluations ==")
    store.create_campaign("bench-a", {"strategy": "aging"}, seed=1)
    store.create_campaign("bench-b", {"strategy": "random"}, seed=2)

    hashes: list[str] = []
    build = insert = 0.0
    for batch, seconds in _genomes(args.genomes, args.batch):
        build += seconds
        began = time.perf_counter()
        store.add_genomes(batch)
        insert += time.perf_counter() - began
        hashes.extend(g.hash for g in batch)
    print(f"genomes      {_rate(len(hashes), insert)}   (building + hashing them: {build:.1f} s)")

    began = time.perf_counter()
    origins = ("mutation", "mutation", "crossover", "random")
    for start in range(0, len(hashes), args.batch):
        chunk = range(start, min(len(hashes), start + args.batch))
        for name, parity in (("bench-a", 0), ("bench-b", 1)):
            store.add_members(name, [(hashes[i], i // 1000, i, "seed" if i < 20
                                      else origins[i % 4]) for i in chunk if i % 2 == parity])
    print(f"members      {_rate(len(hashes), time.perf_counter() - began)}")
    store.create_campaign("bench-small", {"strategy": "a short run"}, seed=3)
    store.add_members("bench-small", [(hashes[i], 0, n, "random") for n, i in
                                      enumerate(rng.sample(range(len(hashes)), 50))])

    edges = []
    for i in range(1, len(hashes)):
        edges.append((hashes[rng.randrange(i)], hashes[i], "mutation",
                      "bench-a" if i % 2 == 0 else "bench-b"))
        if i % 4 == 2 and i > 2:
            other = rng.randrange(i)
            if hashes[other] != edges[-1][0]:
                edges.append((hashes[other], hashes[i], "crossover", "bench-a"))
    began = time.perf_counter()
    for start in range(0, len(edges), args.batch):
        store.add_lineage(edges[start:start + args.batch])
    print(f"lineage      {_rate(len(edges), time.perf_counter() - began)}")

    per_genome = max(1, -(-args.evaluations // len(hashes)))
    items = []
    for index in range(args.evaluations):
        digest = hashes[index // per_genome % len(hashes)]
        task = TASKS[index % per_genome % len(TASKS)]
        seed = index % per_genome // len(TASKS)
        roll = rng.random()
        if roll < 0.90:
            items.append(NewEvaluation(digest, task, "proto-1", seed, "done", rng.gauss(0, 1),
                                       {"loss": rng.random(), "params": rng.randrange(10**6)}))
        elif roll < 0.95:
            items.append(NewEvaluation(digest, task, "proto-1", seed, "failed",
                                       error="CUDA out of memory"))
        else:
            items.append(NewEvaluation(digest, task, "proto-1", seed))
    began = time.perf_counter()
    for start in range(0, len(items), args.batch):
        store.add_evaluations(items[start:start + args.batch], campaign="bench-a")
    print(f"evaluations  {_rate(len(items), time.perf_counter() - began)}")

    scores = {hashes[i]: rng.gauss(0, 1) for i in range(0, len(hashes), 2)}
    began = time.perf_counter()
    keys = list(scores)
    for start in range(0, len(keys), args.batch):
        store.set_member_scores("bench-a", {k: scores[k] for k in keys[start:start + args.batch]})
    print(f"member score {_rate(len(scores), time.perf_counter() - began)}")

    began = time.perf_counter()
    store.analyze()
    print(f"analyze()    {time.perf_counter() - began:7.1f} s")

    probes = itertools.cycle([hashes[rng.randrange(len(hashes))] for _ in range(997)])
    queries: list[tuple[str, Callable[[], object], bool]] = [
        ("best(task='copy', k=10)", lambda: store.best(task="copy", k=10), True),
        ("best(campaign='bench-a', k=10) member scores",
         lambda: store.best(campaign="bench-a", k=10), True),
        ("best(campaign='bench-b', k=10) by evaluations",
         lambda: store.best(campaign="bench-b", k=10), True),
        ("best(campaign='bench-a', task='xml', k=10)",
         lambda: store.best(campaign="bench-a", task="xml", k=10), True),
        ("best(campaign='bench-small', k=10) 50 members",
         lambda: store.best(campaign="bench-small", k=10), True),
        ("lineage(genome)", lambda: store.lineage(next(probes)), False),
        ("lineage(genome, depth=3)", lambda: store.lineage(next(probes), depth=3), False),
        ("genome(8-digit prefix)", lambda: store.genome(next(probes)[:8]), False),
        ("evaluations(genome)", lambda: store.evaluations(next(probes)), False),
    ]
    counter = iter(range(10**9))

    def claim_and_finish() -> None:
        claimed = store.claim(f"bench-{next(counter)}")
        if claimed:
            store.finish(claimed[0].id, "done", score=0.0, worker=claimed[0].worker)

    queries.append(("claim() + finish()", claim_and_finish, False))

    medians: dict[str, float] = {}
    print(f"{'query':<48} {'median':>9} {'max':>9}  vs {TARGET_MS:g} ms target")
    for name, function, targeted in queries:
        median, worst = _timed(function, args.repeats)
        medians[name] = median
        ratio = f"{median / TARGET_MS:5.2f}x target" if targeted else ""
        print(f"{name:<48} {median:7.2f}ms {worst:7.2f}ms  {ratio}")
    store.close()
    return medians


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--genomes", type=int, default=100_000)
    parser.add_argument("--evaluations", type=int, default=300_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--batch", type=int, default=5_000, help="rows per add_* call")
    parser.add_argument("--repeats", type=int, default=30, help="timed runs per query")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pg-url", default=DEFAULT_PG,
                        help="PostgreSQL server; a throwaway schema is created and dropped")
    args = parser.parse_args(argv)

    results: dict[str, dict[str, float]] = {}
    if args.backend in ("sqlite", "both"):
        with _sqlite_url() as url:
            results["sqlite"] = run(url, "SQLite", args)
    if args.backend in ("postgres", "both"):
        with _postgres_url(args.pg_url) as url:
            results["postgres"] = run(url, "PostgreSQL", args)
    worst = max(v for r in results.values() for k, v in r.items() if k.startswith("best"))
    verdict = "met" if worst < TARGET_MS else "MISSED"
    print(f"\nslowest best(): {worst:.2f} ms; target {TARGET_MS:g} ms {verdict}")
    return 0 if worst < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
