"""``evolve status``, ``evolve best``, ``evolve show`` and ``evolve export``."""

from __future__ import annotations

import argparse
import json
import sys

from evolve.cli._common import CliError, positive_int, read_genome
from evolve.cli._run import open_store
from evolve.cli._table import render_table


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    status = subparsers.add_parser("status", help="campaigns and their progress")
    status.add_argument("--db", help="database URL (default $EVOLVE_DB or sqlite:///evolve.db)")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=run_status)

    best = subparsers.add_parser("best", help="the best genomes found")
    best.add_argument("--db", help="database URL")
    best.add_argument("--campaign", help="rank this campaign's members by combined score")
    best.add_argument("--task", help="rank evaluations of this task by its headline metric")
    best.add_argument("--k", type=positive_int, default=10, help="how many (default 10)")
    best.add_argument("--json", action="store_true")
    best.set_defaults(handler=run_best)

    show = subparsers.add_parser("show", help="one genome: equations, scores, lineage")
    show.add_argument("genome", help="a stored genome's id, hash or hash prefix (or a seed)")
    show.add_argument("--db", help="database URL")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=run_show)

    export = subparsers.add_parser(
        "export", help="save a Keras model (untrained, or trained on a task) with the cell")
    export.add_argument("genome", help="a stored genome's id, hash or prefix, a seed, "
                                       "notation or @FILE")
    export.add_argument("--out", required=True, help="where to write the .keras file")
    export.add_argument("--db", help="database URL")
    export.add_argument("--units", type=positive_int, default=128, help="hidden width")
    export.add_argument("--input-dim", type=positive_int, default=None,
                        help="input width (default: --units)")
    export.add_argument("--train", metavar="TASK",
                        help="train first: on TASK, with --campaign's protocol for it (or "
                             "the quick preset), and save the trained model")
    export.add_argument("--campaign", help="campaign whose protocol --train uses")
    export.add_argument("--data-dir", help="Penn Treebank directory (PTB tasks)")
    export.set_defaults(handler=run_export)


def _number(value, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def run_status(args: argparse.Namespace) -> int:
    store = open_store(args.db)
    records = []
    for campaign in store.campaigns():
        counts = store.evaluation_counts(campaign=campaign.name)
        members = store.members(campaign.name)
        scores = [m.score for m in members if m.score is not None]
        config = campaign.config.get("campaign", {})
        records.append({
            "name": campaign.name, "status": campaign.status.value,
            "strategy": config.get("strategy"), "candidates": len(members),
            "budget": config.get("budget"),
            "evaluations": {s.value: n for s, n in counts.items()},
            "best": max(scores) if scores else None,
            "duplicates": sum(v for k, v in (campaign.stats or {}).items()
                              if k.startswith("duplicate:")),
            "updated": campaign.updated_at.isoformat(timespec="seconds"),
        })
    if args.json:
        print(json.dumps(records, indent=2))
        return 0
    if not records:
        print("no campaigns yet; start one with `evolve run`")
        return 0
    rows = []
    for r in records:
        e = r["evaluations"]
        failed = e.get("failed", 0) + e.get("diverged", 0) + e.get("timeout", 0)
        rows.append([r["name"], r["status"], r["strategy"], f"{r['candidates']}/{r['budget']}",
                     e.get("done", 0), e.get("pending", 0) + e.get("running", 0), failed,
                     r["duplicates"], _number(r["best"]), r["updated"]])
    print(render_table(["campaign", "status", "strategy", "candidates", "done", "open",
                        "failed", "dups", "best", "updated"], rows,
                       align_right=(3, 4, 5, 6, 7, 8)))
    return 0


def run_best(args: argparse.Namespace) -> int:
    from evolve.store import NotFoundError

    store = open_store(args.db)
    try:
        ranked = store.best(campaign=args.campaign, task=args.task, k=args.k)
    except NotFoundError as error:
        raise CliError(str(error)) from None
    records = []
    for row in ranked:
        genome = row.genome
        record = {"rank": row.rank, "score": row.score, "hash": row.hash,
                  "genome": str(genome), "task": row.task, "size": row.size}
        if row.task and row.evaluation_id:
            metrics = store.evaluation(row.evaluation_id).metrics or {}
            record["metric"] = metrics.get("metric")
            record["value"] = metrics.get("value")
            record["params"] = metrics.get("params")
        records.append(record)
    if args.json:
        print(json.dumps(records, indent=2))
        return 0
    if not records:
        print("nothing scored yet")
        return 0
    if args.task:
        headers = ["rank", records[0].get("metric") or "value", "params", "genome", "equations"]
        rows = [[r["rank"], _number(r.get("value"), 4), _number(r.get("params")),
                 r["hash"][:12], r["genome"]] for r in records]
    else:
        headers = ["rank", "score", "genome", "equations"]
        rows = [[r["rank"], _number(r["score"]), r["hash"][:12], r["genome"]] for r in records]
    print(render_table(headers, rows, align_right=(0, 1, 2) if args.task else (0, 1)))
    if not args.task:
        print("score: the campaign's combined score relative to its reference cell "
              "(1.0 = as good)" if args.campaign else "score: best stored evaluation score")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from evolve.store import NotFoundError, StoreError

    store = open_store(args.db)
    try:
        record = store.genome(args.genome)
    except (NotFoundError, KeyError, LookupError, StoreError) as error:
        message = error.args[0] if error.args else str(error)
        raise CliError(message) from None
    genome = record.genome
    lineage = store.lineage(record.hash)
    evaluations = store.evaluations(record.hash)
    data = {
        "id": record.id, "hash": record.hash, "genome": str(genome),
        "canonical": record.canonical, "latex": genome.to_latex(),
        "states": list(genome.states),
        "evaluations": [{"task": e.task, "status": e.status.value, "seed": e.seed,
                         "protocol": e.protocol_hash[:12],
                         "metric": (e.metrics or {}).get("metric"),
                         "value": (e.metrics or {}).get("value"),
                         "params": (e.metrics or {}).get("params"),
                         "error": e.error} for e in evaluations],
        "parents": [{"hash": p.parent_hash, "operator": p.operator, "campaign": p.campaign}
                    for p in lineage.parents],
        "children": [{"hash": c.child_hash, "operator": c.operator, "campaign": c.campaign}
                     for c in lineage.children],
    }
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(f"genome {record.id}  {record.hash}")
    print("\n" + str(genome))
    if record.canonical != str(genome):
        print("\ncanonical form:\n" + record.canonical)
    print("\nLaTeX:\n" + data["latex"])
    if evaluations:
        rows = [[e["task"], e["status"], _number(e["value"], 4), e["metric"] or "-",
                 _number(e["params"]), e["seed"], e["protocol"], (e["error"] or "")[:60]]
                for e in data["evaluations"]]
        print()
        print(render_table(["task", "status", "value", "metric", "params", "seed", "protocol",
                            "error"], rows, align_right=(2, 4, 5)))
    else:
        print("\nno evaluations")
    for title, edges in (("parents", data["parents"]), ("children", data["children"])):
        if edges:
            print(f"\n{title}:")
            for edge in edges:
                print(f"  {edge['hash'][:12]}  by {edge['operator']}"
                      + (f" in {edge['campaign']}" if edge["campaign"] else ""))
    return 0


def run_export(args: argparse.Namespace) -> int:
    store = None
    if args.db or not ("=" in args.genome or args.genome.startswith("@")):
        try:
            store = open_store(args.db)
        except CliError:
            store = None
    genome = read_genome(args.genome, store)
    from evolve.evaluation.export import export_model

    try:
        path, summary = export_model(genome, args.out, units=args.units,
                                     input_dim=args.input_dim, train_task=args.train,
                                     campaign=args.campaign, store=store,
                                     data_dir=args.data_dir)
    except (ValueError, RuntimeError) as error:
        raise CliError(str(error)) from None
    print(f"wrote {path}: {summary}", file=sys.stderr)
    return 0
