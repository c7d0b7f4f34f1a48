"""``evolve eval``: train and measure one genome on one task."""

from __future__ import annotations

import argparse
import json

from evolve.cli._common import CliError, parse_assignments, read_genome
from evolve.cli._table import render_table


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from evolve.evaluation import PRESETS
    from evolve.tasks import TASK_NAMES

    parser = subparsers.add_parser(
        "eval", help="train and measure one genome on one task",
        description="Train a genome (a seed name, notation in quotes, or @FILE) on a task and "
                    "print its metrics, parameter count and time.",
    )
    parser.add_argument("genome", help="seed name, genome notation, @FILE, or (with --db) a "
                                       "stored genome's id, hash or hash prefix")
    parser.add_argument("--db", help="database to look a stored genome up in")
    parser.add_argument("--task", required=True, choices=TASK_NAMES)
    parser.add_argument("--preset", default="quick", choices=PRESETS,
                        help="protocol preset (default quick)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a protocol field (units=64, train_steps=500, "
                             "learning_rates=[0.01,0.003]) or a task parameter (task.length=8)")
    parser.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    parser.add_argument("--data-dir", help="Penn Treebank directory (default: ../shared/data/ptb "
                                           "or $EVOLVE_PTB_DIR)")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from evolve.evaluation import ProtocolError, evaluate, preset_protocol
    from evolve.tasks import DataError

    store = None
    if args.db:
        from evolve.cli._run import open_store

        store = open_store(args.db, create=False)
    genome = read_genome(args.genome, store)
    try:
        protocol = preset_protocol(args.task, args.preset, **parse_assignments(args.set))
    except ProtocolError as error:
        raise CliError(f"protocol: {error}") from None
    try:
        result = evaluate(genome, protocol, seed=args.seed, data_dir=args.data_dir)
    except DataError as error:
        raise CliError(str(error)) from None
    record = {"genome": str(genome), "hash": genome.hash, "protocol": protocol.to_dict(),
              "protocol_hash": protocol.hash, "seed": args.seed, **result.to_dict()}
    if args.json:
        print(json.dumps(record, indent=2))
        return 0 if result.ok else 1
    print(f"{args.task}: {result.status.value}  {result.metric} = {_number(result.value)}  "
          f"({result.params:,} recurrent parameters, {result.seconds:.1f} s)")
    if result.error:
        print(f"error: {result.error}")
    rows = []
    for name in sorted(k[6:] for k in result.metrics if k.startswith("valid_")):
        rows.append([name, _number(result.metrics.get(f"valid_{name}")),
                     _number(result.metrics.get(f"test_{name}"))])
    if rows:
        print(render_table(["metric", "valid", "test"], rows, align_right=(1, 2)))
    print(f"protocol {protocol.hash[:12]} ({args.preset}; units {protocol.units}, "
          f"{protocol.train_steps} steps, lr {list(protocol.learning_rates)}); seed {args.seed}")
    return 0 if result.ok else 1


def _number(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:,.1f}"
    return str(value)
