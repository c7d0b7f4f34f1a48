"""``evolve status``, ``evolve best``, ``evolve show`` and ``evolve export``."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path

from evolve.cli._common import (
    CliError,
    UsageError,
    campaign_command,
    db_option,
    genome_argument,
    open_store,
    parse_time,
    positive_int,
    read_genome,
    shown,
)
from evolve.cli._table import render_table


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    from evolve.evaluation.export import MAX_WIDTH

    status = subparsers.add_parser("status", help="campaigns and their progress")
    status.add_argument("--db", help="database URL (default $EVOLVE_DB or sqlite:///evolve.db)")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=run_status)

    best = subparsers.add_parser(
        "best", help="the best genomes found",
        description="Rank a campaign's members by their combined score (relative to the "
                    "campaign's reference cell), or every stored evaluation of one task by "
                    "that task's headline metric. Without --campaign or --task: the only "
                    "campaign in the database.")
    best.add_argument("--db", help="database URL")
    best.add_argument("--campaign", help="rank this campaign's members by combined score")
    best.add_argument("--task", help="rank evaluations of this task by its headline metric")
    best.add_argument("--k", type=positive_int, default=10, help="how many (default 10)")
    best.add_argument("--json", action="store_true")
    best.set_defaults(handler=run_best)

    show = subparsers.add_parser("show", help="one genome: equations, scores, lineage")
    show.add_argument("genome", help="a stored genome: id, hash or hash prefix, seed name, "
                                     "notation or @FILE")
    show.add_argument("--db", help="database URL")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=run_show)

    export = subparsers.add_parser(
        "export", help="save a Keras model (untrained, or trained on a task) with the cell")
    export.add_argument("genome", help="a stored genome's id, hash or prefix, a seed, "
                                       "notation or @FILE")
    export.add_argument("--out", required=True, help="where to write the .keras file")
    export.add_argument("--db", help="database URL")
    export.add_argument("--units", type=positive_int, default=128,
                        help=f"hidden width (default 128, at most {MAX_WIDTH:,})")
    export.add_argument("--input-dim", type=positive_int, default=None,
                        help=f"input width (default: --units; at most {MAX_WIDTH:,})")
    export.add_argument("--train", metavar="TASK",
                        help="train first: on TASK, with --campaign's protocol for it (or "
                             "the quick preset), every setting it tries, and save the model "
                             "of the best on validation, as the evaluation kept")
    export.add_argument("--campaign", help="campaign whose protocol --train uses")
    export.add_argument("--data-dir", help="Penn Treebank directory (PTB tasks)")
    export.add_argument("--json", action="store_true", help="print what was written as JSON")
    export.set_defaults(handler=run_export)


def _number(value, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def run_status(args: argparse.Namespace) -> int:
    from evolve.campaign import coordinator_silence, own_evaluations
    from evolve.campaign.liveness import HEARTBEAT_AT

    store = open_store(args.db, create=False)
    records = []
    for campaign in store.campaigns():
        silence = coordinator_silence(campaign)
        counts = store.evaluation_counts(
            campaign=campaign.name, **own_evaluations(campaign.config, campaign.seed))
        members = store.members(campaign.name)
        scores = [m.score for m in members if m.score is not None]
        config = campaign.config.get("campaign", {})
        # A report (`evolve report`) is stored as a campaign of kind "report": its
        # members are the seed cells it trains, all of them from the start.
        report = campaign.config.get("kind") == "report"
        records.append({
            "name": campaign.name, "status": campaign.status.value,
            "strategy": "report" if report else config.get("strategy"),
            "candidates": len(members),
            "budget": len(members) if report else config.get("budget"),
            "evaluations": {s.value: n for s, n in counts.items()},
            "best": max(scores) if scores else None,
            "duplicates": sum(v for k, v in (campaign.stats or {}).items()
                              if k.startswith("duplicate:")),
            # The row itself changes only with the status; while a campaign runs,
            # its coordinator's heartbeat is the latest sign of life.
            "updated": _last_activity(campaign).isoformat(timespec="seconds"),
            "heartbeat": (campaign.stats or {}).get(HEARTBEAT_AT),
            # Running, but its coordinator stopped beating: killed, not running.
            "stale": silence is not None,
            "silent_seconds": None if silence is None else round(silence),
        })
    if args.json:
        print(json.dumps(records, indent=2))
        return 0
    if not records:
        print(f"no campaigns yet; start one with `evolve run{db_option(args.db)}`")
        return 0
    rows = []
    for r in records:
        e = r["evaluations"]
        failed = e.get("failed", 0) + e.get("diverged", 0) + e.get("timeout", 0)
        status = r["status"]
        if r["stale"]:
            status = f"running (no heartbeat for {r['silent_seconds'] // 60} min)"
        rows.append([r["name"], status, r["strategy"], f"{r['candidates']}/{r['budget']}",
                     e.get("done", 0), e.get("pending", 0) + e.get("running", 0), failed,
                     r["duplicates"], _number(r["best"]), r["updated"]])
    print(render_table(["campaign", "status", "strategy", "candidates", "done", "open",
                        "failures", "dups", "best", "updated"], rows,
                       align_right=(3, 4, 5, 6, 7, 8)))
    for r in records:
        if r["stale"]:
            print(f"campaign {r['name']!r} lost its coordinator (killed?); "
                  f"{campaign_command('run', r['name'], args.db)} resumes it")
    return 0


def _last_activity(campaign) -> datetime:
    """The later of the campaign row's update and its coordinator's last heartbeat."""
    from evolve.campaign.liveness import HEARTBEAT_AT

    beat = parse_time((campaign.stats or {}).get(HEARTBEAT_AT))
    return max(campaign.updated_at, beat) if beat is not None else campaign.updated_at


def run_best(args: argparse.Namespace) -> int:
    from evolve.store import NotFoundError
    from evolve.tasks import TASK_NAMES

    store = open_store(args.db, create=False)
    if args.task is not None and args.task not in TASK_NAMES:
        raise UsageError(f"unknown task {args.task!r}; the tasks are {', '.join(TASK_NAMES)}")
    campaign = args.campaign
    if campaign is None and args.task is None:
        # A report (`evolve report`) is stored as a campaign of kind "report"; it is
        # no search, so it does not count here (--campaign still names it).
        names = [c.name for c in store.campaigns() if c.config.get("kind") != "report"]
        if len(names) != 1:
            # Several campaigns: the command line must say which (usage). None: nothing to
            # rank yet, whatever the flags.
            error = UsageError if names else CliError
            raise error("give --campaign NAME (scores are relative within a campaign) or "
                        "--task TASK; the campaigns are: " + (", ".join(names) or "none"))
        campaign = names[0]
    try:
        ranked = store.best(campaign=campaign, task=args.task, k=args.k)
    except NotFoundError as error:
        raise CliError(str(error)) from None
    widths = _protocol_widths(store, campaign) if campaign and not args.task else None
    records = []
    for row in ranked:
        genome = row.genome
        record = {"rank": row.rank, "score": row.score, "hash": row.hash,
                  "genome": str(genome), "task": row.task, "size": row.size,
                  "protocol": row.protocol_hash}
        if row.task and row.evaluation_id:
            metrics = store.evaluation(row.evaluation_id).metrics or {}
            record["metric"] = metrics.get("metric")
            record["value"] = metrics.get("value")
            record["params"] = metrics.get("params")
        elif widths is not None:
            record["params"] = _param_count(genome, *widths)
        records.append(record)
    if args.json:
        print(json.dumps(records, indent=2))
        return 0
    if not records:
        print(f"nothing scored yet{f' on {args.task}' if args.task else ''}"
              f"{f' in campaign {campaign}' if campaign else ''}")
        return 0
    if args.task:
        # The value is the validation one, the split the evaluation is ranked by.
        headers = ["rank", f"valid {records[0].get('metric') or 'value'}", "params",
                   "protocol", "genome", "equations"]
        rows = [[r["rank"], _number(r.get("value"), 4), _number(r.get("params")),
                 (r["protocol"] or "-")[:12], r["hash"][:12], r["genome"]] for r in records]
    else:
        headers = ["rank", "score", "params", "genome", "equations"]
        rows = [[r["rank"], _number(r["score"]), _number(r.get("params")), r["hash"][:12],
                 r["genome"]] for r in records]
    print(render_table(headers, rows, align_right=(0, 1, 2)))
    if args.task:
        _note_mixed_protocols(records, args.task)
    else:
        where = f" at {widths[0]} inputs, {widths[1]} units" if widths else ""
        print(f"score: campaign {campaign}'s combined score relative to its reference cell "
              f"(1.0 = as good; below 0: failed the screen); params: the cell's{where}")
    return 0


def _note_mixed_protocols(records: list[dict], task: str) -> None:
    """Say so when the ranking mixes protocols: their values are not comparable.

    Store.best(task=...) ranks every protocol of the task together and has no
    protocol filter; filtering its k rows here would return fewer than k, and a
    genome's best row under another protocol would hide its row under this one.
    """
    protocols = sorted({r["protocol"][:12] for r in records if r.get("protocol")})
    if len(protocols) > 1:
        print(f"note: these {task} values come from {len(protocols)} protocols "
              f"({', '.join(protocols)}: different widths, steps or data), which are not "
              f"comparable; `evolve show GENOME` lists each evaluation's protocol, and "
              f"--campaign NAME without --task ranks a campaign's members under its own "
              f"protocols")


def _protocol_widths(store, campaign: str) -> tuple[int, int] | None:
    """Input and hidden width of the campaign's first task (where its sizes are counted)."""
    from evolve.evaluation import EvaluationProtocol

    config = store.campaign(campaign).config
    protocols = config.get("protocols", {})
    tasks = [t.get("task") for t in config.get("campaign", {}).get("tasks", [])]
    # The task list keeps the campaign's order; a JSON object may not (PostgreSQL JSONB).
    first = next((protocols[t] for t in tasks if t in protocols), None)
    if first is None:
        return None
    protocol = EvaluationProtocol.from_dict(first)
    return protocol.embedding_width, protocol.units


def _param_count(genome, input_dim: int, units: int) -> int | None:
    try:
        return genome.param_count(input_dim, units)
    except ValueError:  # a cell that reads x as hidden at a width where it cannot
        return None


def run_show(args: argparse.Namespace) -> int:
    from evolve.store import NotFoundError

    store = open_store(args.db, create=False)
    wanted = read_genome(args.genome, store)
    try:
        record = store.genome(wanted.hash)
    except NotFoundError:
        raise CliError(f"{shown(args.genome)} is a valid genome but not stored in "
                       f"{store.url} (hash {wanted.hash[:12]})") from None
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
                         "test": _test_value(e.metrics or {}),
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
        # A run that did not finish has no measured value (it is stored with the worst
        # one, for ranking): the table says so, whatever the metric.
        rows = [[e["task"], e["status"], e["metric"] or "-",
                 _number(e["value"], 4) if e["status"] == "done" else "-",
                 _number(e["test"], 4) if e["status"] == "done" else "-",
                 _number(e["params"]), e["seed"], e["protocol"],
                 (e["error"] or "")[:60]] for e in data["evaluations"]]
        print()
        # Both splits, named: evolve ranks by the validation value, while a trained
        # export reports the test one.
        print(render_table(["task", "status", "metric", "valid", "test", "params", "seed",
                            "protocol", "error"], rows, align_right=(3, 4, 5, 6)))
    else:
        print("\nno evaluations")
    for title, edges in (("parents", data["parents"]), ("children", data["children"])):
        if edges:
            print(f"\n{title}:")
            for edge in edges:
                print(f"  {edge['hash'][:12]}  by {edge['operator']}"
                      + (f" in {edge['campaign']}" if edge["campaign"] else ""))
    return 0


def _test_value(stored: dict) -> float | None:
    """The headline metric on the test split, from a stored evaluation's metrics.

    The stored document is EvaluationResult.to_dict(): its ``value`` is the
    validation value and ``metrics`` holds ``test_<metric>`` of the same setting.
    """
    metric, measured = stored.get("metric"), stored.get("metrics")
    if not metric or not isinstance(measured, dict):
        return None
    value = measured.get(f"test_{metric}")
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def run_export(args: argparse.Namespace) -> int:
    from evolve.evaluation.export import export_model

    out = Path(args.out)
    if not out.parent.is_dir():
        raise CliError(f"cannot write {out}: directory {out.parent} does not exist")
    # --train with --campaign reads the campaign's protocol; otherwise the database
    # is only where a stored genome's key is looked up.
    store = open_store(args.db, create=False) if args.campaign else None
    genome = (read_genome(args.genome, store) if store is not None
              else genome_argument(args.genome, args.db))
    try:
        path, summary = export_model(genome, out, units=args.units,
                                     input_dim=args.input_dim, train_task=args.train,
                                     campaign=args.campaign, store=store,
                                     data_dir=args.data_dir)
    except (ValueError, RuntimeError) as error:
        raise CliError(str(error)) from None
    if args.json:
        print(json.dumps({"path": str(path), "hash": genome.hash, "summary": summary}))
    else:
        print(f"wrote {path}: {summary}")  # the command's result, like the --json line
    return 0

