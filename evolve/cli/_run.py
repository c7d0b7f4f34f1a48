"""``evolve run`` and ``evolve worker``: run a campaign, or serve one from another process."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime

from evolve.cli._common import (
    CliError,
    UsageError,
    campaign_command,
    check_seed,
    db_option,
    existing_store,
    open_store,
    parse_time,
    positive_int,
)
from evolve.cli._table import render_table

__all__ = ["add_parser", "open_store", "run", "run_worker"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from evolve.campaign import PRESETS

    parser = subparsers.add_parser(
        "run", help="run (or resume) an evolution campaign",
        description="Run an evolution campaign, or resume one: everything is stored in the "
                    "database, so a campaign stopped or killed continues where it was with "
                    "`evolve run --campaign NAME`.",
    )
    parser.add_argument("--preset", choices=sorted(PRESETS), default=None,
                        help="campaign preset: smoke (under a minute), quick (default, "
                             "synthetic tasks, about 10 minutes on 2 cores), ptb")
    parser.add_argument("--config", help="TOML file with campaign keys (overrides the preset)")
    parser.add_argument("--campaign", help="campaign name (default: the preset's name); an "
                                           "existing campaign is resumed")
    parser.add_argument("--db", help="database URL (default $EVOLVE_DB or sqlite:///evolve.db)")
    parser.add_argument("--seed", type=int, default=None, help="campaign seed (default 0)")
    parser.add_argument("--budget", type=positive_int, help="candidate genomes to evaluate")
    parser.add_argument("--strategy", help="jozefowicz, regularized, nsga2 or random")
    parser.add_argument("--executor", choices=["local", "inline", "dask"], default="local",
                        help="where evaluations run (default: a local process pool)")
    parser.add_argument("--workers", type=positive_int,
                        help="worker processes / Dask tasks in flight (default: CPU cores)")
    parser.add_argument("--scheduler", help="Dask scheduler address (with --executor dask; "
                                            "default: a local cluster)")
    parser.add_argument("--data-dir", help="Penn Treebank directory (for PTB tasks)")
    parser.add_argument("--no-progress", action="store_true", help="no progress display")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(handler=run)

    worker = subparsers.add_parser(
        "worker", help="serve a campaign's evaluations from this process (any machine)",
        description="Claim pending evaluations from the database, run them and store the "
                    "results, until the campaign stops. Start as many as you like, anywhere "
                    "the database can be reached (PostgreSQL for several machines), once "
                    "`evolve run` runs the campaign. Exit status 0 when the campaign stops "
                    "after serving; 1, serving nothing, when it is not being run (finished, "
                    "stopped, or its coordinator is gone).",
    )
    worker.add_argument("--db", help="database URL (default $EVOLVE_DB or sqlite:///evolve.db)")
    worker.add_argument("--campaign", help="only this campaign (default: any running one)")
    worker.add_argument("--threads", type=positive_int, help="TensorFlow threads")
    worker.add_argument("--data-dir", help="Penn Treebank directory (for PTB tasks)")
    worker.set_defaults(handler=run_worker)


def run(args: argparse.Namespace) -> int:
    from evolve.campaign import (
        Campaign,
        CampaignError,
        ConfigError,
        Progress,
        WorkerOptions,
        check_data,
        load_config,
        make_executor,
    )
    from evolve.store import StoreError

    name = args.campaign if args.campaign is not None else (args.preset or "quick")
    _check_run_arguments(args, name)
    # Everything that can be checked without the database is checked before it is
    # opened, and everything that can be checked without storing anything before the
    # campaign is stored: a command that cannot run leaves no file and no campaign.
    try:
        config = load_config(args.preset, args.config, budget=args.budget,
                             strategy=args.strategy)
        executor = make_executor(args.executor, args.workers, args.scheduler)
        executor.check_url(args.db)
    except (ConfigError, CampaignError, RuntimeError) as error:
        raise CliError(str(error)) from None
    store = existing_store(args.db)
    existing = _campaign_or_none(store, name)
    options = WorkerOptions(data_dir=args.data_dir)
    try:
        if existing is not None:
            campaign = _resume(args, store, existing, executor, options)
            if campaign is None:
                return 0
        else:
            check_data(config, args.data_dir)
            executor.connect()
            store = store or open_store(args.db)
            campaign = Campaign.create(store, name, config, seed=args.seed or 0,
                                       preset=args.preset or "quick")
            print(f"campaign {name!r}: {config.strategy} search, tasks "
                  f"{', '.join(t.task for t in config.tasks)}, budget {config.budget}, "
                  f"database {store.url}", file=sys.stderr)
        summary = campaign.run(executor, options, Progress(enabled=not args.no_progress))
    except (ConfigError, CampaignError, RuntimeError, OSError) as error:
        _close_quietly(executor)
        raise CliError(str(error)) from None
    except (CliError, StoreError):
        _close_quietly(executor)
        raise
    except KeyboardInterrupt:
        _close_quietly(executor)
        print(f"\nstopped; resume with {campaign_command('run', name, args.db)}",
              file=sys.stderr)
        return 130
    _print_summary(summary, args.json, args.db)
    return 0


def _campaign_or_none(store, name: str):
    from evolve.store import NotFoundError

    if store is None:
        return None
    try:
        return store.campaign(name)
    except NotFoundError:
        return None


def _close_quietly(executor) -> None:
    """Release what :meth:`connect` reached when the campaign never ran (``run`` stops it)."""
    import contextlib

    with contextlib.suppress(Exception):
        executor.stop()


def _resume(args: argparse.Namespace, store, existing, executor, options):
    """The stored campaign ready to run again, or None when it is finished (summary printed).

    Raises:
        CliError: an option that would change the stored configuration.
    """
    from evolve.campaign import Campaign, check_data

    name = existing.name
    _refuse_a_second_coordinator(existing, args.db)
    conflicting = _conflicts(args, existing)
    if conflicting:
        raise CliError(f"campaign {name!r} exists and its configuration is stored with it; "
                       f"{', '.join(conflicting)} cannot change it. Resume with "
                       f"{campaign_command('run', name, args.db)} (only --budget may change) "
                       f"or pick a new --campaign name")
    members = len(store.members(name))
    if args.budget is not None and args.budget < members:
        raise CliError(f"--budget {args.budget} is below the {members} candidates campaign "
                       f"{name!r} already has")
    stored = Campaign.open(store, name)  # reads only; the new budget is written below
    budget = args.budget or stored.config.budget
    if members >= budget and existing.status.value == "finished":
        more = campaign_command("run", name, args.db, " --budget N")
        print(f"campaign {name!r} is finished ({members}/{budget} candidates); continue it "
              f"with {more} (N above {members}), or start another with --campaign NEW",
              file=sys.stderr)
        _print_summary(stored.summary(), args.json, args.db)
        return None
    check_data(stored.config, options.data_dir)
    executor.connect()
    campaign = Campaign.open(store, name, budget=args.budget)
    print(f"resuming campaign {name!r} ({members}/{campaign.config.budget} candidates so far)",
          file=sys.stderr)
    return campaign


def _refuse_a_second_coordinator(existing, url: str | None) -> None:
    """Refuse to coordinate a campaign whose coordinator is alive (fresh heartbeat).

    Two coordinators would both propose and score generations. A running
    campaign whose heartbeat went stale lost its coordinator (killed) and is
    resumed; so is one with no heartbeat at all (written before heartbeats),
    as nothing says anyone runs it, and one whose coordinator the stats name
    as a process of this machine that no longer exists (killed moments ago).
    Two commands checking at the same instant can still both pass: the store
    has no atomic claim of a campaign.
    """
    from evolve.campaign import coordinator_silence
    from evolve.campaign.liveness import HEARTBEAT_AT, HEARTBEAT_EVERY, stale_after
    from evolve.store import CampaignStatus

    if existing.status is not CampaignStatus.RUNNING:
        return
    stats = existing.stats or {}
    now = datetime.now(UTC)
    beat, every = parse_time(stats.get(HEARTBEAT_AT)), stats.get(HEARTBEAT_EVERY)
    if beat is None or not isinstance(every, int | float) or isinstance(every, bool):
        return  # no readable heartbeat: nothing says a coordinator is alive
    if coordinator_silence(existing, now) is not None:
        return
    coordinator = _coordinator(stats)
    if coordinator is not None and _gone(*coordinator):
        return
    who = "" if coordinator is None else f", host {coordinator[0]}, pid {coordinator[1]}"
    age = max(0.0, (now - beat).total_seconds())  # clocks differ: never "-2 s ago"
    limit = stale_after(float(every))
    raise CliError(f"campaign {existing.name!r} is already running (coordinator heartbeat "
                   f"{age:.0f} s ago{who}); add workers with "
                   f"{campaign_command('worker', existing.name, url)}, or stop that "
                   f"coordinator first (if it was killed, this resumes once its heartbeat "
                   f"is over {limit:.0f} s old)")


def _coordinator(stats: dict) -> tuple[str, int] | None:
    """The coordinator's host and pid, when the stats name it, else None.

    Read from a ``coordinator`` entry (``coordinator:HOST:PID:...``, as
    :func:`evolve.campaign.worker.worker_name` writes names), when the runner stores one.
    """
    parts = str(stats.get("coordinator") or "").split(":")
    if len(parts) >= 3 and parts[0] == "coordinator" and parts[1] and parts[2].isdigit():
        return parts[1], int(parts[2])
    return None


def _gone(host: str, pid: int) -> bool:
    """Whether process ``pid`` of ``host`` is known to be gone (only this host can tell)."""
    import socket

    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except (ProcessLookupError, OverflowError):  # no such process; no such pid can exist
        return True
    except PermissionError:  # it exists, as another user's process
        return False
    return False


def _conflicts(args: argparse.Namespace, existing) -> list[str]:
    """The options given that would make a campaign other than the stored one.

    ``--preset`` and ``--config`` are accepted when they give the stored
    configuration again (the budget aside: it may change).
    """
    from evolve.campaign import CampaignConfig, ConfigError, load_config

    conflicting = []
    stored = existing.config.get("campaign", {})
    if args.preset is not None or args.config is not None:
        given = [flag for flag, value in (("--preset", args.preset), ("--config", args.config),
                                          ("--strategy", args.strategy)) if value is not None]
        try:
            wanted = load_config(args.preset or existing.config.get("preset"), args.config,
                                 strategy=args.strategy).to_dict()
            have = CampaignConfig.from_dict(stored).to_dict()
        except ConfigError as error:
            raise CliError(str(error)) from None
        wanted.pop("budget")
        have.pop("budget")
        differing = sorted(k for k in have if have[k] != wanted.get(k))
        if differing:
            conflicting.append(f"{' and '.join(given)} (different {', '.join(differing)})")
    elif args.strategy is not None and args.strategy != stored.get("strategy"):
        conflicting.append("--strategy")
    if args.seed is not None and args.seed != existing.seed:
        conflicting.append("--seed")
    return conflicting


def _check_run_arguments(args: argparse.Namespace, name: str) -> None:
    if not name.strip() or len(name) > 100 or not name.isprintable():
        raise CliError("a campaign name is 1 to 100 printable characters, got "
                       f"{name[:40]!r}{'...' if len(name) > 40 else ''}")
    if args.scheduler and args.executor != "dask":
        raise UsageError("--scheduler is for the Dask executor: add --executor dask")
    check_seed(args.seed)


def _print_summary(summary, as_json: bool, url: str | None = None) -> None:
    if as_json:
        print(json.dumps(summary.__dict__, indent=2, default=str))
        return
    duplicates = sum(summary.duplicates.values())
    kinds = ", ".join(f"by {k} {v}" for k, v in summary.duplicates.items())
    from evolve.campaign.config import failures_phrase

    failures = failures_phrase(summary.failures, summary.failure_kinds)
    print(f"campaign {summary.name}: {summary.status}; {summary.candidates} candidates, "
          f"{summary.evaluations} evaluations, {failures}, {duplicates} "
          f"duplicates skipped" + (f" ({kinds})" if kinds else "")
          + (f", {summary.seconds:.0f} s" if summary.seconds else ""))
    if summary.rejections:
        print("invalid offspring rejected: " + ", ".join(
            f"{k} {v}" for k, v in sorted(summary.rejections.items(), key=lambda i: -i[1])))
    if summary.best:
        rows = [[index + 1, f"{row['score']:.3f}", row["hash"][:12], row["text"]]
                for index, row in enumerate(summary.best)]
        print(render_table(["rank", "score", "genome", "equations"], rows, align_right=(0, 1)))
        print("scores are relative to the reference cell (1.0 = as good); "
              f"`evolve show HASH{db_option(url)}` for details")


def run_worker(args: argparse.Namespace) -> int:
    from evolve.campaign import WorkerOptions, is_serving, worker_loop

    store = open_store(args.db, create=False)
    if args.campaign:
        record = store.campaign(args.campaign)  # an unknown name is an error, not an idle worker
        if not is_serving(record):
            raise CliError(_not_served(record, args.db))
    elif not any(is_serving(c) for c in store.campaigns()):
        raise CliError(f"no campaign is running in {store.url}: there is nothing to serve; "
                       f"start workers while `evolve run{db_option(args.db)}` runs one")
    options = WorkerOptions(data_dir=args.data_dir, threads=args.threads or 0)
    total = 0
    try:
        while True:
            # A campaign whose coordinator was killed says "running" forever: skip it.
            running = [c.name for c in store.campaigns() if is_serving(c)]
            if args.campaign:
                ran = worker_loop(store, args.campaign, options)
                total += ran
                break
            if not running:
                break
            for name in running:
                total += worker_loop(store, name, options)
    except KeyboardInterrupt:
        pass
    ending = ""
    if args.campaign:  # why it stopped: the campaign ended (or its coordinator was lost)
        record = store.campaign(args.campaign)
        # A killed coordinator leaves the status at "running": say what it is instead.
        lost = record.status.value == "running" and not is_serving(record)
        state = "without a coordinator" if lost else record.status.value
        ending = f"; campaign {args.campaign!r} is now {state}"
    print(f"worker {os.getpid()} ran {total} evaluations{ending}", file=sys.stderr)
    return 0


def _not_served(record, url: str | None) -> str:
    """Why a worker has nothing to serve in a campaign that is not being run, and what to do."""
    from evolve.campaign import coordinator_silence

    name = record.name
    if record.config.get("kind") == "report":
        again = "the `evolve report` command that made it runs it again"
    else:
        again = f"{campaign_command('run', name, url)} runs it"
    silence = coordinator_silence(record)
    if silence is not None:
        return (f"campaign {name!r} lost its coordinator (no heartbeat for "
                f"{silence // 60:.0f} min): nothing will be served until {again}; "
                f"start workers after that")
    state = record.status.value
    if state == "finished" and record.config.get("kind") != "report":
        more = campaign_command("run", name, url, " --budget N")
        return (f"campaign {name!r} is finished: nothing will be served; {more} with a "
                f"larger budget continues it, and workers started then serve it")
    return (f"campaign {name!r} is {state}: nothing will be served until {again}; start "
            f"workers after that")
