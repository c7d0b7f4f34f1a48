"""The campaign: generations of proposals, evaluation stages, scores, selection, resume."""

from __future__ import annotations

import contextlib
import hashlib
import random
import time
from collections import Counter
from dataclasses import dataclass, field

from evolve.campaign.config import CampaignConfig, ConfigError
from evolve.campaign.executors import Executor, InlineExecutor
from evolve.campaign.progress import Progress
from evolve.campaign.worker import WorkerOptions
from evolve.evaluation import EvaluationResult, Status, combine, relative_score
from evolve.operators import OperatorContext, make_toolbox
from evolve.search import Member, Proposal, make_strategy
from evolve.store import (
    CampaignStatus,
    EvaluationRecord,
    EvaluationStatus,
    NewEvaluation,
    Store,
)
from genome import Genome, seeds
from genome.fingerprint import fingerprint

__all__ = ["Campaign", "CampaignError", "CampaignSummary"]

_FAILURES = (EvaluationStatus.DIVERGED, EvaluationStatus.TIMEOUT, EvaluationStatus.FAILED)


class CampaignError(RuntimeError):
    """A campaign that cannot go on (its reference failed, a config conflict...)."""


@dataclass
class CampaignSummary:
    """What a run did, for the closing message and for scripts."""

    name: str
    status: str
    candidates: int
    evaluations: int
    failures: int
    duplicates: dict[str, int]
    rejections: dict[str, int]
    seconds: float
    best: list[dict] = field(default_factory=list)


class Campaign:
    """An evolution campaign stored in a database.

    Create one with :meth:`create`, continue one with :meth:`open`, then
    :meth:`run`. Everything lives in the store, so a campaign killed at any
    point resumes where it was: finished evaluations are kept, orphaned
    running ones are taken back by heartbeat, and the generation in progress
    is completed before the next one starts.

    Example:
        >>> store = Store("sqlite:///evolve.db")
        >>> campaign = Campaign.create(store, "demo", load_config("smoke"), seed=1)
        >>> summary = campaign.run()
    """

    def __init__(self, store: Store, name: str, config: CampaignConfig, seed: int):
        self.store = store
        self.name = name
        self.config = config
        self.seed = seed
        self.protocols = config.protocols()
        self.training_seeds = config.training_seed_values(seed)
        context = OperatorContext(limits=config.limits,
                                  allow_square_input=config.allow_square_input)
        self.toolbox = make_toolbox(context, config.operator_weights)
        self.strategy = make_strategy(config.strategy, config.search, self.toolbox)
        self._genomes: dict[str, Genome] = {}
        self._fingerprints: dict[str, str | None] = {}
        self.stats: Counter = Counter()

    # -- creation and resumption -----------------------------------------------------------

    @classmethod
    def create(cls, store: Store, name: str, config: CampaignConfig, seed: int = 0) -> Campaign:
        """Store a new campaign. Raises if the name is taken."""
        document = {"campaign": config.to_dict(),
                    "protocols": {p.task: p.to_dict() for p in config.protocols().values()}}
        store.create_campaign(name, document, seed)
        return cls(store, name, config, seed)

    @classmethod
    def open(cls, store: Store, name: str, budget: int | None = None) -> Campaign:
        """Continue a stored campaign with the configuration stored with it.

        Args:
            budget: a new budget (the only setting a resumed campaign may change).
        """
        record = store.campaign(name)
        try:
            config = CampaignConfig.from_dict(record.config["campaign"])
        except (KeyError, ConfigError) as error:
            raise CampaignError(f"campaign {name!r} has no usable configuration: {error}") from None
        if budget is not None and budget != config.budget:
            config = config.replace(budget=budget)
            store.update_campaign_config(name, {**record.config, "campaign": config.to_dict()})
        campaign = cls(store, name, config, record.seed)
        campaign.stats.update(record.stats or {})
        return campaign

    # -- the run ---------------------------------------------------------------------------

    def run(self, executor: Executor | None = None, options: WorkerOptions | None = None,
            progress: Progress | None = None, poll: float = 0.5) -> CampaignSummary:
        """Run generations until the budget is spent; returns a summary.

        Args:
            executor: where evaluations run (default: in this process).
            options: worker options (heartbeat, data directory, threads).
            progress: the progress display (default: none).
            poll: seconds between looks at the database while workers run.
        """
        started = time.monotonic()
        options = options or WorkerOptions()
        self._check_data(options.data_dir)
        self.executor = executor or InlineExecutor()
        self.progress = progress or Progress(enabled=False)
        self.poll = poll
        self.store.set_campaign_status(self.name, CampaignStatus.RUNNING)
        status = CampaignStatus.FINISHED
        self._done_at_start = self._finished_count()
        try:
            self.executor.start(self.store, self.name, options)
            self._reference_results()
            while True:
                generation = self._next_generation()
                if generation is None:
                    break
                self._complete(generation)
        except CampaignError:
            status = CampaignStatus.FAILED
            raise
        except BaseException:  # interrupted, or an error outside any candidate: resumable
            status = CampaignStatus.STOPPED
            raise
        finally:
            self._save_stats()
            self.store.set_campaign_status(self.name, status)
            with contextlib.suppress(Exception):  # never hide the error that got us here
                self.executor.stop()
            self.progress.close()
        return self.summary(time.monotonic() - started)

    def _check_data(self, data_dir: str | None) -> None:
        """Fail before any work if a task's data cannot be read (Penn Treebank)."""
        from evolve.evaluation import task_for
        from evolve.tasks import DataError

        for name, protocol in self.protocols.items():
            if protocol.task.startswith("ptb"):
                try:
                    task_for(protocol, data_dir)
                except DataError as error:
                    raise CampaignError(f"task {name}: {error}") from None

    # -- generations -----------------------------------------------------------------------

    def _members(self) -> list:
        return self.store.members(self.name)

    def _genome(self, genome_hash: str) -> Genome:
        if genome_hash not in self._genomes:
            self._genomes[genome_hash] = self.store.genome(genome_hash).genome
        return self._genomes[genome_hash]

    def _fingerprint(self, genome: Genome) -> str | None:
        if genome.hash not in self._fingerprints:
            self._fingerprints[genome.hash] = fingerprint(genome)
        return self._fingerprints[genome.hash]

    def _next_generation(self) -> int | None:
        """The generation to work on: an unfinished one, a new one, or None when done."""
        members = self._members()
        if members:
            last = max(m.generation for m in members)
            if any(m.score is None for m in members if m.generation == last):
                return last  # resumed in the middle of this generation
            if len(members) >= self.config.budget:
                return None
            generation = last + 1
        else:
            generation = 0
        count = min(self.config.batch, self.config.budget - len(members))
        if generation == 0:
            count = self.config.budget
        proposals = self._propose(generation, members, count)
        if not proposals:
            self.progress.message("no new candidate could be made (every proposal was a "
                                  "duplicate or invalid); stopping early")
            return None
        self._admit(generation, proposals, len(members))
        return generation

    def _propose(self, generation: int, members: list, count: int) -> list[Proposal]:
        rng = random.Random(_derive(self.seed, "generation", generation))
        if generation == 0:
            names = self.config.initial_seeds()
            proposals = [Proposal(seeds.get(n), "seed") for n in names][:count]
            while self.config.initial == "random" and len(proposals) < min(count,
                                                                          self.config.batch):
                proposals.append(self.strategy.random_proposal(rng))
            return self._unique(proposals, [])
        view = [self._member_view(m) for m in members]
        accepted: list[Proposal] = []
        for _ in range(10):
            fresh = self.strategy.propose(view, rng, count - len(accepted))
            accepted.extend(self._unique(fresh, members, accepted))
            if len(accepted) >= count:
                break
        for reason, number in self.strategy.rejections.items():
            self.stats[f"rejected:{reason}"] += number
        self.strategy.rejections.clear()
        return accepted[:count]

    def _unique(self, proposals: list[Proposal], members: list,
                accepted: list[Proposal] | None = None) -> list[Proposal]:
        """Drop proposals already in the campaign (by hash, or by function)."""
        known = {m.genome_hash for m in members}
        known_functions = {self._fingerprint(self._genome(m.genome_hash)) for m in members}
        for proposal in accepted or []:
            known.add(proposal.genome.hash)
            known_functions.add(self._fingerprint(proposal.genome))
        known_functions.discard(None)
        unique = []
        for proposal in proposals:
            genome_hash = proposal.genome.hash
            if genome_hash in known:
                self.stats["duplicate:hash"] += 1
                continue
            print_ = self._fingerprint(proposal.genome)
            if print_ is not None and print_ in known_functions:
                self.stats["duplicate:function"] += 1
                continue
            known.add(genome_hash)
            if print_ is not None:
                known_functions.add(print_)
            unique.append(proposal)
        return unique

    def _admit(self, generation: int, proposals: list[Proposal], born: int) -> None:
        for proposal in proposals:
            self._genomes[proposal.genome.hash] = proposal.genome
        self.store.add_genomes([p.genome for p in proposals])
        edges = [(parent, p.genome.hash, p.operator, self.name)
                 for p in proposals for parent in p.parents]
        if edges:
            self.store.add_lineage(edges)
        # Membership is written last: it is what marks the generation as started.
        self.store.add_members(self.name, [
            (p.genome.hash, generation, born + index, p.origin)
            for index, p in enumerate(proposals)])
        self._save_stats()

    def _member_view(self, record) -> Member:
        genome = self._genome(record.genome_hash)
        protocol = next(iter(self.protocols.values()))
        return Member(record.genome_hash, genome, record.birth_order, record.generation,
                      record.score, _params(genome, protocol), record.alive)

    # -- evaluation stages -----------------------------------------------------------------

    def _complete(self, generation: int) -> None:
        """Evaluate, score and select one generation (idempotent: safe to resume)."""
        members = [m for m in self._members() if m.generation == generation]
        hashes = [m.genome_hash for m in members]
        screens = [s.task for s in self.config.tasks if s.screen]
        others = [s.task for s in self.config.tasks if not s.screen]
        passing = hashes
        if screens:
            results = self._evaluate(hashes, screens)
            passing = [h for h in hashes if self._passes(results[h])]
        if others:
            self._evaluate(passing, others)
        scores = {}
        for genome_hash in hashes:
            tasks = screens + (others if genome_hash in passing else [])
            results = self._results(genome_hash, tasks)
            scores[genome_hash] = self._score(results)
        self.store.set_member_scores(self.name, scores)
        everyone = [self._member_view(m) for m in self._members()]
        survivors = self.strategy.survivors(everyone)
        alive = [m.hash for m in everyone if m.hash in survivors]
        dead = [m.hash for m in everyone if m.hash not in survivors]
        if alive:
            self.store.set_alive(self.name, alive, True)
        if dead:
            self.store.set_alive(self.name, dead, False)
        self._save_stats()
        self._show(force=True)

    def _requests(self, hashes: list[str], tasks: list[str]) -> list[NewEvaluation]:
        return [NewEvaluation(h, task, self.protocols[task].hash, seed)
                for h in hashes for task in tasks for seed in self.training_seeds]

    def _evaluate(self, hashes: list[str], tasks: list[str]) -> dict[str, dict]:
        """Queue the evaluations (existing ones are reused) and wait until all are final."""
        requests = self._requests(hashes, tasks)
        if requests:
            added = self.store.add_evaluations(requests, campaign=self.name)
            self._wait(list(added.ids))
        return {h: self._results(h, tasks) for h in hashes}

    def _wait(self, ids: list[int]) -> None:
        while True:
            records = self.store.evaluations_by_id(ids)
            open_ = [r for r in records if not r.status.final]
            if not open_:
                return
            pending = sum(1 for r in open_ if r.status is EvaluationStatus.PENDING)
            self.executor.pump(pending)
            self.store.requeue_stale(self.config.stale_after,
                                     max_attempts=self.config.max_attempts)
            self._show()
            if not self.executor.blocking:
                time.sleep(self.poll)

    def _results(self, genome_hash: str, tasks: list[str]) -> dict[str, list[EvaluationResult]]:
        by_key = {(r.task, r.protocol_hash, r.seed): r
                  for r in self.store.evaluations(genome_hash)}
        results = {}
        for task in tasks:
            protocol_hash = self.protocols[task].hash
            results[task] = [_as_result(by_key.get((task, protocol_hash, seed)), task)
                             for seed in self.training_seeds]
        return results

    # -- scores ----------------------------------------------------------------------------

    def _reference_results(self) -> None:
        """Evaluate the reference cell on every task first; every score is relative to it."""
        reference = seeds.get(self.config.reference)
        self.store.add_genomes([reference])
        results = self._evaluate([reference.hash], [s.task for s in self.config.tasks])
        self.reference = results[reference.hash]
        for task, outcomes in self.reference.items():
            for outcome in outcomes:
                if not outcome.ok:
                    raise CampaignError(
                        f"the reference cell {self.config.reference} did not finish on {task} "
                        f"({outcome.status.value}: {outcome.error}); scores are relative to it, "
                        f"so the campaign cannot go on. Check the task's protocol.")

    def _ratio(self, task: str, outcomes: list[EvaluationResult]) -> float:
        ratios = [relative_score(outcome, reference)
                  for outcome, reference in zip(outcomes, self.reference[task], strict=True)]
        return sum(ratios) / len(ratios)

    def _passes(self, results: dict[str, list[EvaluationResult]]) -> bool:
        specs = {s.task: s for s in self.config.tasks}
        return all(self._ratio(task, outcomes) >= specs[task].threshold
                   for task, outcomes in results.items())

    def _score(self, results: dict[str, list[EvaluationResult]]) -> float:
        ratios = {task: self._ratio(task, outcomes) for task, outcomes in results.items()}
        if self.config.combine == "min":
            return combine(ratios)
        weights = {s.task: s.weight for s in self.config.tasks}
        return combine(ratios, {t: weights[t] for t in ratios})

    # -- reporting -------------------------------------------------------------------------

    def _save_stats(self) -> None:
        self.store.update_campaign_stats(self.name, dict(self.stats))

    def _counts(self) -> dict:
        """This campaign's evaluations by status, under its own protocols only."""
        return self.store.evaluation_counts(
            campaign=self.name, protocols=[p.hash for p in self.protocols.values()])

    def _finished_count(self) -> int:
        return sum(n for status, n in self._counts().items() if status.final)

    def _show(self, force: bool = False) -> None:
        counts = self._counts()
        done = sum(counts[s] for s in counts if s.final)
        total = sum(counts.values())
        failures = sum(counts[s] for s in _FAILURES)
        members = self._members()
        scored = [m.score for m in members if m.score is not None]
        duplicates = sum(v for k, v in self.stats.items() if k.startswith("duplicate:"))
        self.progress.update(done=done, total=total, new=done - self._done_at_start,
                             members=len(members),
                             budget=self.config.budget, best=max(scored) if scored else None,
                             duplicates=duplicates, failures=failures,
                             generation=max((m.generation for m in members), default=0),
                             force=force)

    def summary(self, seconds: float = 0.0) -> CampaignSummary:
        counts = self._counts()
        record = self.store.campaign(self.name)
        best = []
        for row in self.store.best(campaign=self.name, k=5):
            best.append({"hash": row.hash, "score": row.score, "text": row.text})
        return CampaignSummary(
            name=self.name, status=record.status.value, candidates=len(self._members()),
            evaluations=sum(counts[s] for s in counts if s.final),
            failures=sum(counts[s] for s in _FAILURES),
            duplicates={k.split(":", 1)[1]: v for k, v in self.stats.items()
                        if k.startswith("duplicate:")},
            rejections={k.split(":", 1)[1]: v for k, v in self.stats.items()
                        if k.startswith("rejected:")},
            seconds=seconds, best=best)


def _derive(seed: int, *parts: object) -> int:
    digest = hashlib.sha256(":".join(map(str, (seed, *parts))).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def _params(genome: Genome, protocol) -> int:
    try:
        return genome.param_count(protocol.embedding_width, protocol.units)
    except Exception:
        return 0


def _as_result(record: EvaluationRecord | None, task: str) -> EvaluationResult:
    """The evaluation result stored in a record (a failure if it has none)."""
    if record is not None and record.metrics and "status" in record.metrics:
        return EvaluationResult.from_dict(record.metrics)
    status = Status.FAILED
    error = "no evaluation stored"
    if record is not None:
        final_failure = record.status.final and record.status is not EvaluationStatus.DONE
        status = Status(record.status.value) if final_failure else Status.FAILED
        error = record.error or f"evaluation {record.id} is {record.status.value} with no result"
    return EvaluationResult(status=status, task=task, metric="", higher_is_better=True,
                            value=0.0, error=error)
