"""``evolve seeds``: the seed library."""

from __future__ import annotations

import argparse
import json

from evolve.cli._common import positive_int
from evolve.cli._table import render_table
from genome import GenomeError, seeds


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "seeds", help="list the seed cells (LSTM, GRU, ...) or show one",
        description="List every seed cell with its equations and parameter count, or show "
                    "one seed in notation, LaTeX and JSON.",
    )
    parser.add_argument("name", nargs="?", help="a seed to show in full (e.g. gru)")
    parser.add_argument("--units", type=positive_int, default=128,
                        help="hidden width H for parameter counts (default 128)")
    parser.add_argument("--input-dim", type=positive_int, default=None,
                        help="input width D for parameter counts (default: equal to --units)")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(handler=run)


def _params(name: str, input_dim: int, units: int) -> int | None:
    try:
        return seeds.get(name).param_count(input_dim, units)
    except GenomeError:
        return None  # needs input width == units


def _record(name: str, input_dim: int, units: int) -> dict:
    seed = seeds.info(name)
    genome = seeds.get(name)
    return {
        "name": name,
        "summary": seed.summary,
        "citation": seed.citation,
        "notation": str(genome),
        "hash": genome.hash,
        "states": list(genome.states),
        "needs_square_input": genome.needs_square_input,
        "input_dim": input_dim,
        "units": units,
        "params": _params(name, input_dim, units),
    }


def run(args: argparse.Namespace) -> int:
    units = args.units
    input_dim = args.input_dim or units
    if args.name:
        try:
            record = _record(args.name, input_dim, units)
        except KeyError as error:
            raise SystemExit(f"evolve seeds: {error.args[0]}") from None
        genome = seeds.get(args.name)
        record["latex"] = genome.to_latex()
        record["json"] = genome.to_json()
        if args.json:
            print(json.dumps(record, indent=2))
            return 0
        params = record["params"]
        params_text = (f"{params:,}" if params is not None
                       else f"needs input width == units (D={input_dim}, H={units})")
        print(f"{record['name']}: {record['summary']}")
        print(f"citation:   {record['citation']}")
        print(f"states:     {', '.join(record['states'])}")
        print(f"parameters: {params_text} (input width {input_dim}, {units} units)")
        print(f"hash:       {record['hash']}")
        print("\nnotation:\n" + _indent(record["notation"]))
        print("\nLaTeX:\n" + _indent(record["latex"]))
        print("\nJSON:\n" + _indent(json.dumps(record["json"])))
        return 0
    records = [_record(name, input_dim, units) for name in seeds.names()]
    if args.json:
        print(json.dumps(records, indent=2))
        return 0
    rows = []
    for record in records:
        params = record["params"]
        rows.append([record["name"], f"{params:,}" if params is not None else "D must = H",
                     len(record["states"]), record["notation"]])
    print(render_table(["seed", "params", "states", "equations"], rows, align_right=(1, 2)))
    print(f"\n{len(records)} seeds; parameters at input width {input_dim} and {units} units. "
          f"`evolve seeds NAME` shows one in full.")
    return 0


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.split("\n"))
