"""Running a seed report: its evaluations queued in the store and served by workers.

A report is stored as a campaign of kind ``report`` whose members are the
seed cells, so workers anywhere (``evolve worker``, a local pool, Dask) claim
its evaluations the way they claim a campaign's, and an interrupted report
resumes from the database: finished evaluations are kept, orphaned ones are
taken back by heartbeat.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from evolve.campaign import Executor, InlineExecutor, WorkerOptions
from evolve.campaign.liveness import Heartbeat, heartbeat_stats
from evolve.campaign.progress import StatusLine, bar
from evolve.report.plan import ReportError, ReportPlan
from evolve.report.results import ReportResults, collect
from evolve.store import (
    CampaignRecord,
    CampaignStatus,
    EvaluationStatus,
    InvalidInputError,
    NotFoundError,
    Store,
)
from genome import seeds

__all__ = ["REPORT_KIND", "ReportProgress", "ReportRun", "check_report_data", "prepare_report",
           "run_report", "stored_report"]

#: ``config["kind"]`` of a campaign row that holds a report.
REPORT_KIND = "report"
_HEARTBEAT_EVERY = 10.0
_FAILED = (EvaluationStatus.DIVERGED, EvaluationStatus.TIMEOUT, EvaluationStatus.FAILED)


@dataclass(frozen=True)
class ReportRun:
    """What a report run did.

    Attributes:
        name: the report's name in the store.
        evaluations: evaluations the plan needs.
        reused: of those, already finished before this run (nothing retrained).
        trained: finished during this run.
        failures: final evaluations that are not ``done`` (diverged, timeout, failed).
        seconds: wall time of the run.
        results: the gathered results.
    """

    name: str
    evaluations: int
    reused: int
    trained: int
    failures: int
    seconds: float
    results: ReportResults


class ReportProgress(StatusLine):
    """A report's line: evaluations done / needed, rate, failures and time left."""

    def update(self, done: int, total: int, new: int, failures: int,
               force: bool = False) -> None:
        if not self.due(force):
            return
        rate = new / self.minutes()
        left = f" | {(total - done) / rate:.0f} min left" if rate > 0 and done < total else ""
        self.show(f"{bar(done, total)} {done}/{total} evaluations | {rate:.1f} evals/min | "
                  f"failures {failures}{left}", force=True)


def stored_report(store: Store, name: str) -> CampaignRecord | None:
    """The stored report called ``name``, or None if there is none yet.

    Raises:
        ReportError: ``name`` belongs to an evolution campaign.
    """
    try:
        record = store.campaign(name)
    except NotFoundError:
        return None
    if record.config.get("kind") != REPORT_KIND:
        raise ReportError(f"{name!r} is an evolution campaign, not a report; give the report "
                          f"another --name")
    return record


def prepare_report(store: Store, plan: ReportPlan, name: str) -> list[int]:
    """Store the report (creating or extending it) and queue its evaluations; their ids.

    Raises:
        ReportError: ``name`` belongs to an evolution campaign.
    """
    protocols = {p.hash: p.to_dict() for p in plan.protocols().values()}
    record = stored_report(store, name)
    if record is None:
        document = {"kind": REPORT_KIND, "report": plan.to_dict(), "protocols": protocols}
        try:
            store.create_campaign(name, document, seed=0)
        except InvalidInputError:
            # Another process created it meanwhile: extend that one below.
            record = store.campaign(name)
    if record is not None:
        # A report asked again with more cells, tasks or seeds keeps what it had: the
        # protocols of earlier plans stay, so their queued evaluations can still run.
        known = dict(record.config.get("protocols", {}))
        known.update(protocols)
        store.update_campaign_config(name, {**record.config, "report": plan.to_dict(),
                                            "protocols": known})
    genomes = [seeds.get(cell) for cell in plan.genomes]
    store.add_genomes(genomes)
    store.add_members(name, [(g.hash, 0, index, "seed") for index, g in enumerate(genomes)])
    return list(store.add_evaluations(plan.evaluations(), campaign=name).ids)


def run_report(store: Store, plan: ReportPlan, name: str | None = None,
               executor: Executor | None = None, options: WorkerOptions | None = None,
               progress: ReportProgress | None = None, poll: float = 0.5,
               stale_after: float = 60.0, max_attempts: int = 3) -> ReportRun:
    """Train whatever the plan still needs, then gather the results.

    Args:
        store: where the evaluations are stored (and found, when resuming).
        plan: cells, tasks, protocol preset and training seeds.
        name: the report's name in the store (default ``report-PRESET``).
        executor: where evaluations run (default: this process).
        options: worker options (data directory, heartbeat, threads).
        progress: the progress line (default: none).
        poll: seconds between looks at the database while workers run.
        stale_after: seconds without heartbeat before a running evaluation is
            taken back from its (dead) worker.
        max_attempts: tries of an evaluation whose worker keeps dying.

    Returns:
        What ran, and the results.

    Raises:
        ReportError: the plan's data cannot be read (Penn Treebank), or the
            name belongs to an evolution campaign. Nothing is stored then.
        CampaignError: the executor cannot serve this database (in-memory
            SQLite with worker processes) or reach its cluster; nothing is stored.
    """
    started = time.monotonic()
    name = name or f"report-{plan.preset}"
    options = options or WorkerOptions()
    executor = executor or InlineExecutor()
    # What can fail without training anything fails before anything is stored.
    check_report_data(plan, options.data_dir)
    executor.check_url(store.url)
    executor.connect()
    ids = prepare_report(store, plan, name)
    progress = progress or ReportProgress(enabled=False)
    reused = sum(1 for r in store.evaluations_by_id(ids) if r.status.final)

    def beat() -> None:
        store.update_campaign_stats(name, heartbeat_stats(_HEARTBEAT_EVERY))

    beat()  # workers serve a running report only while its coordinator beats
    store.set_campaign_status(name, CampaignStatus.RUNNING)
    heartbeat = Heartbeat(beat, _HEARTBEAT_EVERY)
    status = CampaignStatus.STOPPED
    try:
        heartbeat.start()
        executor.start(store, name, options)
        while True:
            records = store.evaluations_by_id(ids)
            done = sum(1 for r in records if r.status.final)
            failures = sum(1 for r in records if r.status in _FAILED)
            progress.update(done, len(ids), done - reused, failures, force=done == len(ids))
            if done == len(ids):
                break
            pending = sum(1 for r in records if r.status is EvaluationStatus.PENDING)
            worked = executor.pump(pending) is True
            store.requeue_stale(stale_after, max_attempts=max_attempts)
            if not worked:  # the work is in other processes: look again later
                time.sleep(poll)
        status = CampaignStatus.FINISHED
    finally:
        heartbeat.stop()
        # The status first: workers look at it before each claim and stop claiming.
        store.set_campaign_status(name, status)
        try:
            executor.stop()
        finally:
            progress.close()
    records = store.evaluations_by_id(ids)
    results = collect(store, plan)
    # As member scores, the report's ranking is what `evolve best --campaign` shows.
    scores = {seeds.get(cell).hash: results.score(cell) for cell in plan.genomes}
    store.set_member_scores(name, {h: s for h, s in scores.items() if s is not None})
    return ReportRun(name=name, evaluations=len(ids), reused=reused,
                     trained=len(ids) - reused,
                     failures=sum(1 for r in records if r.status in _FAILED),
                     seconds=time.monotonic() - started, results=results)


def check_report_data(plan: ReportPlan, data_dir: str | None) -> None:
    """Raise :class:`ReportError` unless every task's data can be read (Penn Treebank)."""
    from evolve.evaluation import task_for
    from evolve.tasks import DataError

    for task, protocol in plan.protocols().items():
        if task.startswith("ptb"):
            try:
                task_for(protocol, data_dir)
            except DataError as error:
                raise ReportError(f"task {task}: {error}; or leave the PTB tasks out with "
                                  f"--tasks") from None
