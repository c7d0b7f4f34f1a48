"""The campaign: generations of proposals, evaluation stages, scores, selection, resume."""

from __future__ import annotations

import contextlib
import hashlib
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from evolve.campaign._errors import CampaignError
from evolve.campaign.config import CampaignConfig, ConfigError
from evolve.campaign.executors import Executor, InlineExecutor
from evolve.campaign.liveness import Heartbeat, heartbeat_stats, is_serving
from evolve.campaign.progress import Progress
from evolve.campaign.worker import WorkerOptions, run_one, worker_name
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

__all__ = ["Campaign", "CampaignError", "CampaignSummary", "check_data"]

_FAILURES = (EvaluationStatus.DIVERGED, EvaluationStatus.TIMEOUT, EvaluationStatus.FAILED)


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
    #: The failures by status (diverged, timeout, failed), only those that occurred.
    failure_kinds: dict[str, int] = field(default_factory=dict)


class Campaign:
    """An evolution campaign stored in a database.

    Create one with :meth:`create`, continue one with :meth:`open`, then
    :meth:`run`. Everything lives in the store, so a campaign killed at any
    point resumes where it was: finished evaluations are kept, orphaned
    running ones are taken back by heartbeat, and the generation in progress
    is completed before the next one starts.

    A member's score is the combination of its ratios to the reference cell
    (>= 0). A candidate that fails a screening task is not trained on the
    other tasks and scores its screen ratio minus the threshold: below 0, so
    below every candidate that passed, and still ordered by how close it came.

    While it runs, the campaign writes a heartbeat into its stats every
    :attr:`heartbeat_every` seconds (see :mod:`evolve.campaign.liveness`).

    Example:
        >>> store = Store("sqlite:///evolve.db")
        >>> campaign = Campaign.create(store, "demo", load_config("smoke"), seed=1)
        >>> summary = campaign.run()
    """

    #: Seconds between the coordinator's heartbeats.
    heartbeat_every: float = 10.0

    def __init__(self, store: Store, name: str, config: CampaignConfig, seed: int):
        self.store = store
        self.name = name
        self.config = config
        self.seed = seed
        self.protocols = config.protocols()
        self._protocols_by_hash = {p.hash: p for p in self.protocols.values()}
        self.training_seeds = config.training_seed_values(seed)
        context = OperatorContext(limits=config.limits,
                                  allow_square_input=config.allow_square_input)
        self.toolbox = make_toolbox(context, config.operator_weights)
        self.strategy = make_strategy(config.strategy, config.search, self.toolbox)
        self._genomes: dict[str, Genome] = {}
        self._fingerprints: dict[str, str | None] = {}
        # Counters per generation, so that proposing a generation again (resumed
        # before its members were stored) replaces its counts instead of adding.
        self._generation_stats: dict[int, Counter] = {}
        self._legacy_stats: Counter = Counter()  # stored before counts were per generation
        self._stats_lock = threading.Lock()  # the heartbeat thread writes stats too
        self._id: int | None = None
        self._worker = worker_name("coordinator")

    # -- creation and resumption -----------------------------------------------------------

    @classmethod
    def create(cls, store: Store, name: str, config: CampaignConfig, seed: int = 0,
               preset: str | None = None) -> Campaign:
        """Store a new campaign. Raises if the name is taken.

        Args:
            preset: the preset the configuration was made from, stored with it
                (so a resume may name it again).
        """
        document: dict = {"campaign": config.to_dict(),
                          "protocols": {p.task: p.to_dict() for p in config.protocols().values()}}
        if preset is not None:
            document["preset"] = preset
        record = store.create_campaign(name, document, seed)
        campaign = cls(store, name, config, seed)
        campaign._id = record.id
        return campaign

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
        campaign._id = record.id
        campaign._load_stats(record.stats or {})
        return campaign

    @property
    def id(self) -> int:
        """The campaign's id in the store."""
        if self._id is None:
            self._id = self.store.campaign(self.name).id
        return self._id

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
        status = CampaignStatus.FINISHED
        try:
            with self._serving(executor, options, progress, poll):
                self._done_at_start = self._finished_count()
                self._reference_results()
                self._repair_selection()
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
            if self._serving_started:
                self.store.set_campaign_status(self.name, status)
        return self.summary(time.monotonic() - started)

    def score_genomes(self, genomes: list[Genome | str], executor: Executor | None = None,
                      options: WorkerOptions | None = None, progress: Progress | None = None,
                      poll: float = 0.5) -> dict[str, float]:
        """Score genomes outside the campaign exactly as its candidates are scored.

        The genomes (seed names or Genome objects) are trained under the
        campaign's protocols and training seeds, screens first, and scored
        against its reference; they do not become members, and the campaign's
        status is left as it was. Evaluations already stored are reused.

        Returns:
            The score of each genome, keyed as given (a seed name, or the hash).

        Example:
            >>> Campaign.open(store, "quick").score_genomes(["lstm", "lstm_b"])
            {'lstm': 0.93, 'lstm_b': 0.97}
        """
        resolved = {(item if isinstance(item, str) else item.hash):
                    (seeds.get(item) if isinstance(item, str) else item) for item in genomes}
        self.store.add_genomes(list(resolved.values()))
        before = self.store.campaign(self.name).status
        try:
            with self._serving(executor, options, progress, poll):
                self._done_at_start = self._finished_count()
                self._reference_results()
                scores = self._evaluate_and_score([g.hash for g in resolved.values()])
        finally:
            if self._serving_started:
                self.store.set_campaign_status(self.name, before)
        return {key: scores[cell.hash] for key, cell in resolved.items()}

    _serving_started = False

    @contextlib.contextmanager
    def _serving(self, executor: Executor | None, options: WorkerOptions | None,
                 progress: Progress | None, poll: float) -> Iterator[None]:
        """The campaign served by workers: running status, heartbeat, executor, clean stop.

        The caller sets the final status (after this exits, workers have stopped
        claiming because the status is no longer ``running``, and they are stopped).
        """
        self._serving_started = False
        options = options or WorkerOptions()
        # Whatever can fail without running anything fails before the status changes.
        check_data(self.config, options.data_dir)
        self.executor = executor or InlineExecutor()
        self.executor.check_url(self.store.url)
        self.executor.connect()
        self.options = options
        self.progress = progress or Progress(enabled=False)
        self.poll = poll
        self.store.set_campaign_status(self.name, CampaignStatus.RUNNING)
        self._serving_started = True
        self._save_stats()  # a fresh heartbeat before any worker looks at it
        heartbeat = Heartbeat(self._save_stats, self.heartbeat_every)
        try:
            heartbeat.start()
            self.executor.start(self.store, self.name, self.options)
            yield
        finally:
            heartbeat.stop()
            self._save_stats()
            # The status first: workers look at it before each claim and stop claiming.
            self.store.set_campaign_status(self.name, CampaignStatus.STOPPED)
            with contextlib.suppress(Exception):  # never hide the error that got us here
                self.executor.stop()
            with contextlib.suppress(Exception):
                self.store.release([self._worker])
            self.progress.close()

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
            self._save_stats()
            self.progress.message("no new candidate could be made (every proposal was a "
                                  "duplicate or invalid); stopping early")
            return None
        self._admit(generation, proposals, len(members))
        return generation

    def _propose(self, generation: int, members: list, count: int) -> list[Proposal]:
        """The generation's new candidates; what was skipped is counted for this generation."""
        rng = random.Random(_derive(self.seed, "generation", generation))
        counts: Counter = Counter()
        self.strategy.rejections.clear()
        if generation == 0:
            names = self.config.initial_seeds()
            proposals = [Proposal(seeds.get(n), "seed") for n in names][:count]
            while self.config.initial == "random" and len(proposals) < min(count,
                                                                          self.config.batch):
                proposals.append(self.strategy.random_proposal(rng))
            accepted = self._unique(proposals, [], counts=counts)
        else:
            view = [self._member_view(m) for m in members]
            accepted = []
            for _ in range(10):
                fresh = self.strategy.propose(view, rng, count - len(accepted))
                accepted.extend(self._unique(fresh, members, accepted, counts))
                if len(accepted) >= count:
                    break
            accepted = accepted[:count]
        for reason, number in self.strategy.rejections.items():
            counts[f"rejected:{reason}"] += number
        self.strategy.rejections.clear()
        with self._stats_lock:
            self._generation_stats[generation] = counts
        return accepted

    def _unique(self, proposals: list[Proposal], members: list,
                accepted: list[Proposal] | None = None,
                counts: Counter | None = None) -> list[Proposal]:
        """Drop proposals already in the campaign (by hash, or by function), counting them."""
        counts = Counter() if counts is None else counts
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
                counts["duplicate:hash"] += 1
                continue
            print_ = self._fingerprint(proposal.genome)
            if print_ is not None and print_ in known_functions:
                counts["duplicate:function"] += 1
                continue
            known.add(genome_hash)
            if print_ is not None:
                known_functions.add(print_)
            unique.append(proposal)
        return unique

    def _admit(self, generation: int, proposals: list[Proposal], born: int) -> None:
        self.store.add_genomes([p.genome for p in proposals])
        for proposal in proposals:
            # A hash names one function, but its text may be any of several (``h' = 0``,
            # ``h' = tanh(sigmoid(h) - sigmoid(h))``), and the store keeps the first one
            # it was given. The operators work on the text, so the campaign works on the
            # stored one from here on, as a resumed run (which has only the store) will.
            self._genomes.pop(proposal.genome.hash, None)
            self._fingerprints.pop(proposal.genome.hash, None)
        edges = [(parent, p.genome.hash, p.operator, self.name)
                 for p in proposals for parent in p.parents]
        if edges:
            self.store.add_lineage(edges)
        # Stats before members: killed in between, the generation is proposed again on
        # resume and its counts replace these (they are kept per generation).
        self._save_stats()
        # Membership is written last: it is what marks the generation as started.
        self.store.add_members(self.name, [
            (p.genome.hash, generation, born + index, p.origin)
            for index, p in enumerate(proposals)])

    def _member_view(self, record) -> Member:
        genome = self._genome(record.genome_hash)
        protocol = next(iter(self.protocols.values()))
        return Member(record.genome_hash, genome, record.birth_order, record.generation,
                      record.score, _params(genome, protocol), record.alive)

    # -- evaluation stages -----------------------------------------------------------------

    def _complete(self, generation: int) -> None:
        """Evaluate, score and select one generation (idempotent: safe to resume)."""
        members = [m for m in self._members() if m.generation == generation]
        scores = self._evaluate_and_score([m.genome_hash for m in members])
        self.store.set_member_scores(self.name, scores)
        self._select()
        self._save_stats()
        self._show(force=True)

    def _evaluate_and_score(self, hashes: list[str]) -> dict[str, float]:
        """Screening tasks first, the others for those that pass; each genome's score."""
        screens = [s.task for s in self.config.tasks if s.screen]
        others = [s.task for s in self.config.tasks if not s.screen]
        passing = hashes
        if screens:
            results = self._evaluate(hashes, screens)
            passing = [h for h in hashes if self._passes(results[h])]
        if others:
            self._evaluate(passing, others)
        passed = set(passing)
        scores = {}
        for genome_hash in hashes:
            if genome_hash in passed:
                scores[genome_hash] = self._score(self._results(genome_hash, screens + others))
            else:
                scores[genome_hash] = self._screen_failure_score(
                    self._results(genome_hash, screens))
        return scores

    def _select(self) -> None:
        """Set the alive flags to the strategy's survivors (only those that change).

        A function of the stored scores, so running it again is harmless: a
        resumed campaign runs it to repair flags a kill left half written.
        """
        everyone = [self._member_view(m) for m in self._members()]
        survivors = self.strategy.survivors(everyone)
        alive = [m.hash for m in everyone if m.hash in survivors and not m.alive]
        dead = [m.hash for m in everyone if m.hash not in survivors and m.alive]
        if alive:
            self.store.set_alive(self.name, alive, True)
        if dead:
            self.store.set_alive(self.name, dead, False)

    def _repair_selection(self) -> None:
        """Scores and alive flags are separate writes: redo the selection of a scored
        last generation, in case the previous run was killed between them."""
        members = self._members()
        if not members:
            return
        last = max(m.generation for m in members)
        if all(m.score is not None for m in members if m.generation == last):
            self._select()

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
            worked = self.executor.pump(pending) is True
            if not worked:
                worked = self._run_stranded(open_)
            self.store.requeue_stale(self.config.stale_after,
                                     max_attempts=self.config.max_attempts)
            self._show()
            if not worked:  # nothing ran here: the work is elsewhere, do not spin
                time.sleep(self.poll)

    def _run_stranded(self, open_: list[EvaluationRecord]) -> bool:
        """Run, here, an evaluation this campaign waits for but its workers cannot claim.

        Evaluations are shared: one another campaign queued first (the same
        reference cell, say) stays that campaign's, and workers claim a
        campaign's own evaluations and its members'. When that campaign is not
        being served, nobody would claim it; once nothing else is left for this
        campaign's workers, the coordinator claims it by id and runs it itself.

        Returns:
            Whether an evaluation was run.
        """
        foreign = [r for r in open_ if r.campaign_id != self.id]
        if not foreign:
            return False
        members = {m.genome_hash for m in self._members()}

        def ours(record: EvaluationRecord) -> bool:
            return record.campaign_id == self.id or record.genome_hash in members

        if any(r.status is EvaluationStatus.PENDING and ours(r) for r in open_):
            return False  # our workers have work; what they cannot claim can wait
        for record in foreign:
            if record.status is not EvaluationStatus.PENDING or ours(record):
                continue
            owner = record.campaign_id
            if owner is not None and is_serving(self.store.campaign(owner)):
                continue  # its own campaign's workers will run it
            if run_one(self.store, self._worker, self.options, None,
                       dict(self._protocols_by_hash), ids=[record.id]) is not None:
                return True
        return False

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

    def _screen_failure_score(self, results: dict[str, list[EvaluationResult]]) -> float:
        """Below 0: how far the worst screen ratio fell short of its threshold."""
        specs = {s.task: s for s in self.config.tasks}
        return min(self._ratio(task, outcomes) - specs[task].threshold
                   for task, outcomes in results.items())

    def _score(self, results: dict[str, list[EvaluationResult]]) -> float:
        ratios = {task: self._ratio(task, outcomes) for task, outcomes in results.items()}
        if self.config.combine == "min":
            return combine(ratios)
        weights = {s.task: s.weight for s in self.config.tasks}
        return combine(ratios, {t: weights[t] for t in ratios})

    # -- reporting -------------------------------------------------------------------------

    @property
    def stats(self) -> Counter:
        """Duplicates and rejections counted so far (``duplicate:hash``, ``rejected:size``...)."""
        with self._stats_lock:
            total = Counter(self._legacy_stats)
            for counts in self._generation_stats.values():
                total.update(counts)
        return total

    def _load_stats(self, stored: dict) -> None:
        by_generation = stored.get("generations")
        if isinstance(by_generation, dict):
            self._generation_stats = {int(g): Counter(c) for g, c in by_generation.items()}
            self._legacy_stats = Counter(stored.get("legacy") or {})
        else:  # flat totals only (written before counts were kept per generation)
            self._legacy_stats = Counter({k: v for k, v in stored.items()
                                          if ":" in k and isinstance(v, int)})

    def _save_stats(self) -> None:
        """Write the counters (totals, for readers, and per generation) and a heartbeat."""
        with self._stats_lock:
            total = Counter(self._legacy_stats)
            for counts in self._generation_stats.values():
                total.update(counts)
            document: dict = dict(total)
            if self._legacy_stats:
                document["legacy"] = dict(self._legacy_stats)
            document["generations"] = {str(g): dict(c)
                                       for g, c in sorted(self._generation_stats.items())}
            document.update(heartbeat_stats(self.heartbeat_every))
            # Who beats: a second `evolve run` on this machine can tell a dead one from a
            # live one by its pid, instead of waiting for the heartbeat to age.
            document["coordinator"] = self._worker
            self.store.update_campaign_stats(self.name, document)

    def _counts(self) -> dict:
        """This campaign's evaluations by status, under its own protocols and seeds only."""
        return self.store.evaluation_counts(
            campaign=self.name, protocols=[p.hash for p in self.protocols.values()],
            seeds=self.training_seeds)

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
            seconds=seconds, best=best,
            failure_kinds={s.value: counts[s] for s in _FAILURES if counts[s]})


def check_data(config: CampaignConfig, data_dir: str | None) -> None:
    """Fail before any work if a task's data cannot be read (Penn Treebank).

    Raises:
        CampaignError: naming the task and the missing or bad file.
    """
    from evolve.evaluation import task_for
    from evolve.tasks import DataError

    for name, protocol in config.protocols().items():
        if protocol.task.startswith("ptb"):
            try:
                task_for(protocol, data_dir)
            except DataError as error:
                raise CampaignError(f"task {name}: {error}") from None


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
