"""``evolve report``: every seed cell on every task, or what a campaign found, as files."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from evolve.cli._common import CliError, UsageError, positive_int
from evolve.cli._run import open_store


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from evolve.evaluation import PRESETS

    parser = subparsers.add_parser(
        "report", help="train every seed cell on every task and write results/ (resumable)",
        description="Train every seed cell on every task with several training seeds and "
                    "write a Markdown table (mean ± sd, parameters, time per step), PNG plots "
                    "and the checks against the literature under --out. Every evaluation is "
                    "stored as it finishes: run the same command again after a stop and only "
                    "what is missing is trained. With --campaign NAME: a report of what that "
                    "campaign found instead.")
    parser.add_argument("--campaign", help="report on this evolution campaign instead")
    parser.add_argument("--db", help="database URL (default $EVOLVE_DB or sqlite:///evolve.db)")
    parser.add_argument("--out", default="results", help="output directory (default results)")
    parser.add_argument("--preset", choices=PRESETS, default="quick",
                        help="protocol preset of every task (default quick, the campaigns')")
    parser.add_argument("--cells", help="comma-separated seed cells (default: all 20); with "
                                        "--campaign, the seeds scored beside its best "
                                        "(default gru,lstm,lstm_b)")
    parser.add_argument("--tasks", help="comma-separated tasks (default: all five; the PTB "
                                        "tasks need --data-dir or ../shared/data/ptb)")
    parser.add_argument("--seeds", type=positive_int, default=3,
                        help="training seeds per cell and task (default 3)")
    parser.add_argument("--name", help="the report's name in the database (default "
                                       "report-PRESET)")
    parser.add_argument("--k", type=positive_int, default=10,
                        help="with --campaign: how many of the best cells (default 10)")
    parser.add_argument("--executor", choices=["local", "inline", "dask"], default="local",
                        help="where evaluations run (default: a local process pool)")
    parser.add_argument("--workers", type=positive_int, help="worker processes (default: cores)")
    parser.add_argument("--scheduler", help="Dask scheduler address (with --executor dask)")
    parser.add_argument("--data-dir", help="Penn Treebank directory (PTB tasks)")
    parser.add_argument("--ptb-small", default=None,
                        help="curve.json of benchmarks/ptb_small.py to quote (default: "
                             "OUT/ptb_small/curve.json when present)")
    parser.add_argument("--no-plots", action="store_true", help="write no PNG plots")
    parser.add_argument("--no-progress", action="store_true", help="no progress line")
    parser.add_argument("--json", action="store_true", help="print what was written as JSON")
    parser.set_defaults(handler=run)


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise CliError(f"expected comma-separated names, got {text!r}")
    return names


def _check_plots(args: argparse.Namespace) -> None:
    if args.no_plots:
        return
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CliError("plots need matplotlib: pip install 'rnn-cell-evolve[report]', or "
                       "pass --no-plots") from None


def run(args: argparse.Namespace) -> int:
    from evolve.campaign import CampaignError
    from evolve.report import ReportError

    if args.scheduler and args.executor != "dask":
        raise UsageError("--scheduler is for the Dask executor: add --executor dask")
    _check_plots(args)
    try:
        if args.campaign:
            return _campaign(args)
        return _seeds(args)
    except (ReportError, CampaignError) as error:
        raise CliError(str(error)) from None
    except KeyboardInterrupt:
        print("\nstopped; run the same command again to continue (finished evaluations are "
              "kept)", file=sys.stderr)
        return 130


def _command(args: argparse.Namespace) -> str:
    """The command line that regenerates this report, for the report's own text."""
    words = ["evolve", "report"]
    for flag in ("campaign", "preset", "cells", "tasks", "name", "data_dir"):
        value = getattr(args, flag)
        if value is not None and not (flag == "preset" and value == "quick"):
            words += [f"--{flag.replace('_', '-')}", str(value)]
    if args.seeds != 3 and not args.campaign:
        words += ["--seeds", str(args.seeds)]
    if args.out != "results":
        words += ["--out", args.out]
    return shlex.join(words)


def _seeds(args: argparse.Namespace) -> int:
    from evolve.campaign import WorkerOptions, make_executor
    from evolve.report import (
        ReportPlan,
        ReportProgress,
        check_report_data,
        run_report,
        stored_report,
        write_seed_report,
    )

    fields = {"preset": args.preset, "seeds": args.seeds}
    if args.cells:
        fields["cells"] = tuple(_names(args.cells))
    if args.tasks:
        fields["tasks"] = tuple(_names(args.tasks))
    plan = ReportPlan(**fields)
    name = args.name or f"report-{plan.preset}"
    executor = make_executor(args.executor, args.workers, args.scheduler)
    # What can fail without the database fails before it is opened (or created).
    executor.check_url(args.db)
    check_report_data(plan, args.data_dir)
    store = open_store(args.db)
    stored_report(store, name)  # a name taken by an evolution campaign fails here
    extra = "" if plan.reference in plan.cells else f" (and {plan.reference}, the reference)"
    print(f"report {name!r}: {len(plan.cells)} cells{extra} × {len(plan.tasks)} tasks × "
          f"{plan.seeds} seeds under the {plan.preset} preset, database {store.url}",
          file=sys.stderr)
    run_ = run_report(store, plan, name, executor, WorkerOptions(data_dir=args.data_dir),
                      ReportProgress(enabled=not args.no_progress))
    out = Path(args.out)
    ptb_small = Path(args.ptb_small) if args.ptb_small else out / "ptb_small" / "curve.json"
    paths = write_seed_report(run_.results, out, plots=not args.no_plots,
                              ptb_small=ptb_small if ptb_small.exists() else None,
                              command=_command(args))
    summary = {"name": run_.name, "evaluations": run_.evaluations, "reused": run_.reused,
               "trained": run_.trained, "failures": run_.failures,
               "seconds": round(run_.seconds, 1), "files": [str(p) for p in paths]}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"report {run_.name}: {run_.evaluations} evaluations ({run_.reused} already "
              f"stored, {run_.trained} trained now, {run_.failures} failed) in "
              f"{run_.seconds:.0f} s; wrote {out / 'seeds.md'} and {len(paths) - 1} more files")
    return 0


def _campaign(args: argparse.Namespace) -> int:
    from evolve.campaign import Campaign, CampaignError, WorkerOptions, make_executor
    from evolve.report import compare_names, gather_campaign, write_campaign_report
    from evolve.store import NotFoundError

    store = open_store(args.db, create=False)
    try:
        store.campaign(args.campaign)
    except NotFoundError as error:
        raise CliError(str(error)) from None
    names = compare_names(args.cells)
    try:
        campaign = Campaign.open(store, args.campaign)
        executor = make_executor(args.executor, args.workers, args.scheduler)
        scores = campaign.score_genomes(names, executor, WorkerOptions(data_dir=args.data_dir))
    except CampaignError as error:
        raise CliError(str(error)) from None
    report = gather_campaign(store, args.campaign, k=args.k, seed_scores=scores,
                             training_seeds=campaign.training_seeds)
    paths = write_campaign_report(report, Path(args.out), plots=not args.no_plots,
                                  command=_command(args))
    if args.json:
        print(json.dumps({"campaign": args.campaign, "files": [str(p) for p in paths],
                          "seed_scores": scores}, indent=2))
    else:
        best = report["best"][0]["score"] if report["best"] else None
        print(f"campaign {args.campaign}: {report['candidates']} candidates, best score "
              f"{'-' if best is None else f'{best:.3f}'}; wrote {paths[-2]}")
    return 0
