"""``evolve eval``: train and measure one genome on one task."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evolve.cli._common import (
    MAX_JSON_DEPTH,
    CliError,
    UsageError,
    check_seed,
    genome_argument,
    json_depth,
    parse_assignments,
)
from evolve.cli._table import render_table

if TYPE_CHECKING:
    from evolve.evaluation import EvaluationProtocol


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from evolve.evaluation import PRESETS
    from evolve.tasks import TASK_NAMES

    parser = subparsers.add_parser(
        "eval", help="train and measure one genome on one task",
        description="Train a genome (a seed name, notation in quotes, or @FILE) on a task and "
                    "print its metrics, parameter count and time.",
    )
    parser.add_argument("genome", help="seed name, genome notation, @FILE, or a stored "
                                       "genome's id, hash or hash prefix (in --db, or the "
                                       "default database)")
    parser.add_argument("--db", help="database to look a stored genome up in (default "
                                     "$EVOLVE_DB or sqlite:///evolve.db; only read)")
    parser.add_argument("--task", choices=TASK_NAMES,
                        help="the task (required unless --protocol names it)")
    parser.add_argument("--preset", default=None, choices=PRESETS,
                        help="protocol preset (default quick)")
    parser.add_argument("--protocol", metavar="FILE.json",
                        help="start from this protocol instead of a preset: a JSON object as "
                             "EvaluationProtocol.to_dict() writes it, or the output of "
                             "`evolve eval --json` (its protocol is used)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a protocol field (units=64, train_steps=500, "
                             "learning_rates=[0.01,0.003]) or a task parameter (task.length=8)")
    parser.add_argument("--no-verify", action="store_true",
                        help="PTB tasks: use data files whose SHA-256 differs from Mikolov's "
                             "(sets the task parameter verify=false)")
    parser.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    parser.add_argument("--data-dir", help="Penn Treebank directory (default: ../shared/data/ptb "
                                           "or $EVOLVE_PTB_DIR)")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from evolve.evaluation import evaluate
    from evolve.tasks import DataError

    check_seed(args.seed)
    genome = genome_argument(args.genome, args.db)
    protocol = build_protocol(args)
    try:
        result = evaluate(genome, protocol, seed=args.seed, data_dir=args.data_dir)
    except DataError as error:
        raise CliError(str(error)) from None
    record = {"genome": str(genome), "hash": genome.hash, "protocol": protocol.to_dict(),
              "protocol_hash": protocol.hash, "seed": args.seed, **result.to_dict()}
    if args.json:
        print(json.dumps(record, indent=2))
        return 0 if result.ok else 1
    print(f"{protocol.task}: {result.status.value}  {result.metric} = {_number(result.value)}  "
          f"({result.params:,} recurrent parameters, {result.seconds:.1f} s)")
    if result.error:
        print(f"error: {result.error}")
    rows = []
    for name in sorted(k[6:] for k in result.metrics if k.startswith("valid_")):
        rows.append([name, _number(result.metrics.get(f"valid_{name}")),
                     _number(result.metrics.get(f"test_{name}"))])
    if rows:
        print(render_table(["metric", "valid", "test"], rows, align_right=(1, 2)))
    origin = args.protocol if args.protocol else (args.preset or "quick")
    print(f"protocol {protocol.hash[:12]} ({origin}; units {protocol.units}, "
          f"{protocol.train_steps} steps, lr {list(protocol.learning_rates)}); seed {args.seed}")
    return 0 if result.ok else 1


def build_protocol(args: argparse.Namespace) -> EvaluationProtocol:
    """The protocol ``evolve eval`` runs: a preset or ``--protocol`` file, then the overrides."""
    from evolve.evaluation import EvaluationProtocol, ProtocolError, preset_protocol

    where = f"protocol (from {args.protocol})" if args.protocol else "protocol"
    overrides = parse_assignments(args.set)
    if "task" in overrides:  # the task is an argument of its own, not a field to override
        raise UsageError("--set task=... is not a protocol override: give --task TASK")
    try:
        base = None
        if args.protocol is not None:
            if args.preset is not None:
                raise UsageError("give --preset or --protocol, not both: the protocol file "
                               "already sets every field")
            base = EvaluationProtocol.from_dict(read_protocol_file(args.protocol))
            if args.task is not None and args.task != base.task:
                raise CliError(f"--task {args.task} contradicts {args.protocol}, whose task "
                               f"is {base.task}")
        elif args.task is None:
            raise UsageError("give --task TASK, or --protocol FILE.json naming one")
        task = base.task if base is not None else args.task
        if args.no_verify:
            if not task.startswith("ptb-"):
                raise UsageError(f"--no-verify is for the PTB tasks (ptb-word, ptb-char), whose "
                               f"data files are checked; {task} has none")
            overrides.setdefault("task_params", {})["verify"] = False
        if base is None:
            return preset_protocol(task, args.preset or "quick", **overrides)
        # Merged, not replaced: task.length=8 keeps the file's other task parameters.
        if "task_params" in overrides:
            overrides["task_params"] = {**base.task_params, **overrides["task_params"]}
        return base.replace(**overrides)
    except ProtocolError as error:
        raise CliError(f"{where}: {error}") from None


def read_protocol_file(path: str) -> dict[str, Any]:
    """The protocol fields in a JSON file: a bare protocol or an ``evolve eval --json`` record."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot read protocol file {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise CliError(f"protocol file {path} is not UTF-8 text") from None
    deep = (f"protocol file {path} nests lists or objects deeper than {MAX_JSON_DEPTH} "
            f"levels: no protocol does")
    try:
        data = json.loads(text)
    except RecursionError:
        raise CliError(deep) from None
    except ValueError as error:
        raise CliError(f"protocol file {path} is not valid JSON: {error}") from None
    if json_depth(data) > MAX_JSON_DEPTH:
        raise CliError(deep)
    # `evolve eval --json` wraps the protocol in its record: a protocol has no
    # field called "protocol", so the two cannot be confused.
    if isinstance(data, dict) and isinstance(data.get("protocol"), dict):
        data = data["protocol"]
    if not isinstance(data, dict):
        raise CliError(f"protocol file {path} must hold a JSON object of protocol fields "
                       f"(as EvaluationProtocol.to_dict() writes), got a "
                       f"{type(data).__name__}")
    return data


def _number(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:,.1f}"
    return str(value)
