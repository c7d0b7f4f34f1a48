"""The evaluation queue: add, claim, heartbeat, finish, requeue, read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from evolve.store import _validate as check
from evolve.store._base import (
    CampaignKey,
    E,
    G,
    GenomeKey,
    StoreBase,
    in_batches,
    of_campaign,
    status_is,
)
from evolve.store._bulk import insert_rows
from evolve.store._errors import (
    AlreadyFinishedError,
    InvalidInputError,
    LeaseLostError,
    NotFoundError,
)
from evolve.store._models import utcnow
from evolve.store.records import Added, EvaluationRecord, EvaluationStatus, NewEvaluation

__all__ = ["EvaluationMixin"]

# The columns that identify an evaluation (its unique constraint).
_KEY = ("genome_id", "task", "protocol_hash", "seed")

_EVALUATION_COLUMNS = (
    E.c.id, E.c.genome_id, G.c.hash, E.c.task, E.c.protocol_hash, E.c.seed, E.c.status,
    E.c.score, E.c.metrics, E.c.error, E.c.worker, E.c.attempts, E.c.campaign_id,
    E.c.created_at, E.c.started_at, E.c.finished_at, E.c.heartbeat_at,
)


# A claim by id is for the few evaluations a coordinator waits on; a bound keeps the
# IN list under every backend's parameter limit.
_MAX_CLAIM_IDS = 500


class EvaluationMixin(StoreBase):
    """Evaluations: one per (genome, task, protocol, seed), claimed atomically by workers."""

    def add_evaluations(self, evaluations: Iterable[Any], *,
                        campaign: CampaignKey | None = None) -> Added:
        """Queue evaluations (or record finished ones); existing keys are left alone.

        Args:
            evaluations: ``(genome hash, task, protocol_hash, seed)`` tuples
                (:class:`EvaluationKey`) or :class:`NewEvaluation` objects, which may
                carry a final status and result.
            campaign: the campaign asking for them (``claim(campaign=...)`` finds them).

        Returns:
            :class:`Added`: ids in input order, and which were created or existed.

        Raises:
            NotFoundError: unknown genome or campaign; nothing is stored.
            InvalidInputError: a malformed item; nothing is stored.

        Example:
            >>> store.add_evaluations([(gru.hash, "copy", "p1", 0)]).created
            (1,)
        """
        items = [self._new_evaluation(item, index) for index, item in enumerate(evaluations)]
        if not items:
            return Added(ids=(), created=(), existing=())
        now = utcnow()

        def work(connection: Connection) -> Added:
            campaign_id = None if campaign is None else self._campaign_id(connection, campaign)
            genome_ids = self._require_ids(connection, {item[0] for item in items})
            keys = [(genome_ids[h], task, protocol, seed) for h, task, protocol, seed, _ in items]
            found = self._evaluation_ids(connection, keys)
            rows: dict[tuple[int, str, str, int], dict[str, Any]] = {}
            for key, item in zip(keys, items, strict=True):
                if key in found or key in rows:
                    continue
                result: NewEvaluation = item[4]
                final = EvaluationStatus(result.status).final
                rows[key] = {
                    "genome_id": key[0], "task": key[1], "protocol_hash": key[2],
                    "seed": key[3], "campaign_id": campaign_id,
                    "status": EvaluationStatus(result.status).value, "score": result.score,
                    "metrics": result.metrics, "error": result.error, "attempts": 0,
                    "created_at": now, "finished_at": now if final else None,
                }
            created: dict[tuple[int, str, str, int], int] = {}
            if rows:
                # Input order, so ids (and claim order) follow the caller's priorities;
                # a deadlock with a concurrent overlapping batch is retried.
                for row in insert_rows(connection, E, list(rows.values()), conflict=_KEY,
                                       returning=["id", *_KEY]):
                    created[(row.genome_id, row.task, row.protocol_hash, row.seed)] = row.id
                # Keys another writer inserted since we looked.
                late = [key for key in rows if key not in created]
                found.update(self._evaluation_ids(connection, late))
            ids = tuple(created.get(key) or found[key] for key in keys)
            existing = tuple(dict.fromkeys(i for k, i in zip(keys, ids, strict=True)
                                           if k not in created))
            return Added(ids=ids, created=tuple(created[key] for key in sorted(
                created, key=lambda k: created[k])), existing=existing)

        return self._write(work)

    @staticmethod
    def _new_evaluation(item: Any, index: int) -> tuple[str, str, str, int, NewEvaluation]:
        where = f"evaluations[{index}]"
        if isinstance(item, tuple | list) and not isinstance(item, NewEvaluation):
            if len(item) != 4:
                raise InvalidInputError(f"{where} must be (genome hash, task, protocol_hash, seed)")
            item = NewEvaluation(*item)
        if not isinstance(item, NewEvaluation):
            raise InvalidInputError(f"{where} must be a tuple or a NewEvaluation, "
                                    f"got {type(item).__name__}")
        digest = check.full_hash(item.genome, f"{where} genome")
        task = check.text(item.task, f"{where} task")
        protocol = check.text(item.protocol_hash, f"{where} protocol_hash")
        seed = check.integer(item.seed, f"{where} seed")
        status = check.choice(item.status, EvaluationStatus, f"{where} status")
        if status is EvaluationStatus.RUNNING:
            raise InvalidInputError(f"{where}: status 'running' is set by claim(), not on insert")
        result = EvaluationMixin._result(status, item.score, item.metrics, item.error, where)
        return digest, task, protocol, seed, NewEvaluation(item.genome, task, protocol, seed,
                                                           status, *result)

    @staticmethod
    def _result(status: EvaluationStatus, score: Any, metrics: Any, error: Any,
                where: str) -> tuple[float | None, dict[str, Any] | None, str | None]:
        score = check.score(score, f"{where} score")
        metrics = check.json_object(metrics, f"{where} metrics", optional=True)
        error = check.text(error, f"{where} error", optional=True)
        if status is EvaluationStatus.DONE and score is None:
            raise InvalidInputError(f"{where}: status 'done' needs a score")
        if not status.final and (score is not None or metrics is not None or error is not None):
            raise InvalidInputError(f"{where}: a {status.value} evaluation has no result yet")
        return score, metrics, error

    def _evaluation_ids(self, connection: Connection,
                        keys: Iterable[tuple[int, str, str, int]]
                        ) -> dict[tuple[int, str, str, int], int]:
        wanted = set(keys)
        found: dict[tuple[int, str, str, int], int] = {}
        # By genome (an index prefix), then exact keys in Python: portable, and a
        # genome has few evaluations.
        for among in in_batches(connection, E.c.genome_id, sorted({key[0] for key in wanted})):
            query = sa.select(E.c.id, E.c.genome_id, E.c.task, E.c.protocol_hash,
                              E.c.seed).where(among)
            for row in connection.execute(query):
                key = (row.genome_id, row.task, row.protocol_hash, row.seed)
                if key in wanted:
                    found[key] = row.id
        return found

    def claim(self, worker: str, limit: int = 1, *, campaign: CampaignKey | None = None,
              tasks: Iterable[str] | None = None,
              ids: Iterable[int] | None = None) -> list[EvaluationRecord]:
        """Atomically take up to ``limit`` pending evaluations, oldest first.

        Claimed evaluations become ``running`` under ``worker`` with a fresh heartbeat;
        no two callers ever receive the same one (PostgreSQL: ``FOR UPDATE SKIP
        LOCKED``; SQLite: the database write lock).

        Args:
            worker: a name unique to the calling worker (e.g. ``host:pid``).
            limit: the most evaluations to take.
            campaign: only evaluations asked for by this campaign or of its members.
            tasks: only these tasks.
            ids: only these evaluations (a coordinator running one it waits for
                that no campaign's workers would claim).

        Returns:
            The claimed evaluations; empty when nothing is pending.

        Example:
            >>> [e.task for e in store.claim("host-1:42")]
            ['copy']
        """
        worker = check.text(worker, "worker")
        limit = check.integer(limit, "limit", minimum=1)
        task_list = None if tasks is None else [check.text(t, "task") for t in
                                                ([tasks] if isinstance(tasks, str) else tasks)]
        id_list = None if ids is None else sorted({check.integer(i, "evaluation id")
                                                   for i in ids})
        if id_list is not None and not id_list:
            return []

        def work(connection: Connection) -> list[EvaluationRecord]:
            query = sa.select(E.c.id).where(status_is(E.c.status, EvaluationStatus.PENDING))
            if campaign is not None:
                campaign_id = self._campaign_id(connection, campaign)
                query = query.where(of_campaign(campaign_id))
            if task_list is not None:
                query = query.where(E.c.task.in_(task_list))
            if id_list is not None:
                query = query.where(E.c.id.in_(id_list[:_MAX_CLAIM_IDS]))
            query = query.order_by(E.c.id).limit(limit).with_for_update(skip_locked=True)
            ids = list(connection.execute(query).scalars())
            if not ids:
                return []
            now = utcnow()
            connection.execute(E.update().where(E.c.id.in_(ids)).values(
                status=EvaluationStatus.RUNNING.value, worker=worker, started_at=now,
                heartbeat_at=now, attempts=E.c.attempts + 1))
            return self._evaluation_records(connection, E.c.id.in_(ids))

        return self._write(work)

    def heartbeat(self, ids: Iterable[int], worker: str) -> list[int]:
        """Tell the store that ``worker`` is still running these evaluations.

        Args:
            ids: evaluation ids the worker claimed.
            worker: the name it claimed them under.

        Returns:
            The ids the worker still holds; a missing one was requeued (missed
            heartbeats) or finished, and its result will be refused.

        Example:
            >>> store.heartbeat([1], "host-1:42")
            [1]
        """
        worker = check.text(worker, "worker")
        wanted = sorted({check.integer(i, "evaluation id") for i in ids})
        if not wanted:
            return []

        def work(connection: Connection) -> list[int]:
            now = utcnow()
            held: list[int] = []
            for among in in_batches(connection, E.c.id, wanted):
                held.extend(connection.execute(
                    E.update().where(among, status_is(E.c.status, EvaluationStatus.RUNNING),
                                     E.c.worker == worker)
                    .values(heartbeat_at=now).returning(E.c.id)).scalars())
            return sorted(held)

        return self._write(work)

    def finish(self, evaluation_id: int, status: EvaluationStatus | str, *,
               score: float | None = None, metrics: Mapping[str, Any] | None = None,
               error: str | None = None, worker: str | None = None) -> EvaluationRecord:
        """Record an evaluation's result.

        Args:
            evaluation_id: the evaluation.
            status: ``done`` (needs ``score``), ``diverged``, ``timeout`` or ``failed``.
            score: higher is better; finite.
            metrics: any JSON object (losses, timings, parameter counts...).
            error: why it failed, diverged or timed out.
            worker: the worker reporting; when given, a result for an evaluation that
                another worker now holds is refused.

        Returns:
            The finished evaluation.

        Raises:
            AlreadyFinishedError: it already has a result (never overwritten).
            LeaseLostError: another worker holds it now.
            NotFoundError: no such evaluation.

        Example:
            >>> store.finish(1, "done", score=0.93, metrics={"loss": 0.1}).status
            <EvaluationStatus.DONE: 'done'>
        """
        evaluation_id = check.integer(evaluation_id, "evaluation id")
        status = check.choice(status, EvaluationStatus, "status")
        if not status.final:
            raise InvalidInputError(f"finish() needs a final status, not {status.value!r}")
        score, metrics, error = self._result(status, score, metrics, error, "finish()")
        worker = check.text(worker, "worker", optional=True)

        def work(connection: Connection) -> EvaluationRecord:
            open_to_us = status_is(E.c.status, EvaluationStatus.PENDING)
            running = status_is(E.c.status, EvaluationStatus.RUNNING)
            open_to_us = sa.or_(open_to_us, running if worker is None
                                else sa.and_(running, E.c.worker == worker))
            now = utcnow()
            values: dict[str, Any] = {"status": status.value, "score": score, "metrics": metrics,
                                      "error": error, "finished_at": now}
            if worker is not None:
                values["worker"] = worker
            done = connection.execute(E.update().where(E.c.id == evaluation_id, open_to_us)
                                      .values(**values)).rowcount
            if not done:
                self._refuse_finish(connection, evaluation_id, worker)
            return self._evaluation_records(connection, E.c.id == evaluation_id)[0]

        return self._write(work)

    @staticmethod
    def _refuse_finish(connection: Connection, evaluation_id: int, worker: str | None) -> None:
        row = connection.execute(sa.select(E.c.status, E.c.worker, E.c.attempts, E.c.score)
                                 .where(E.c.id == evaluation_id)).first()
        if row is None:
            raise NotFoundError(f"no evaluation with id {evaluation_id}")
        if EvaluationStatus(row.status).final:
            score = "" if row.score is None else f" with score {row.score:g}"
            raise AlreadyFinishedError(
                f"evaluation {evaluation_id} is already {row.status}{score} (worker "
                f"{row.worker!r}); a result is never overwritten, this one was not stored")
        raise LeaseLostError(
            f"evaluation {evaluation_id} is now running on worker {row.worker!r} (attempt "
            f"{row.attempts}), not {worker!r}: it was requeued after missed heartbeats; "
            "this result was not stored")

    def release(self, workers: Iterable[str]) -> int:
        """Give back what stopped workers held: their running evaluations become pending.

        For workers known to have stopped (a run that shut its own pool down),
        so the interrupted try is not counted: ``attempts`` goes back by one.
        A worker that is in fact still running would have its result refused
        once another worker claims the evaluation, so call this only for
        workers that are gone.

        Args:
            workers: the names the workers claimed under.

        Returns:
            How many evaluations were given back.

        Example:
            >>> store.release(["host-1:42"])
            0
        """
        names = sorted({check.text(w, "worker") for w in workers})
        if not names:
            return 0

        def work(connection: Connection) -> int:
            released = 0
            for among in in_batches(connection, E.c.worker, names):
                released += connection.execute(
                    E.update().where(among, status_is(E.c.status, EvaluationStatus.RUNNING))
                    .values(status=EvaluationStatus.PENDING.value,
                            attempts=sa.case((E.c.attempts > 0, E.c.attempts - 1), else_=0))
                ).rowcount
            return released

        return self._write(work)

    def requeue_stale(self, older_than_seconds: float, *, max_attempts: int = 3) -> int:
        """Give back running evaluations whose worker stopped sending heartbeats.

        Each goes back to ``pending``, unless it has already been tried
        ``max_attempts`` times: then it is marked ``failed`` with an explanation.

        Args:
            older_than_seconds: a heartbeat older than this means the worker died.
                Keep it well above the heartbeat interval and any clock skew between
                machines (timestamps come from the workers' clocks).
            max_attempts: tries before giving up on an evaluation.

        Returns:
            How many evaluations were taken back (requeued plus marked failed).

        Example:
            >>> store.requeue_stale(older_than_seconds=600)
            0
        """
        if isinstance(older_than_seconds, bool) or not isinstance(older_than_seconds, int | float):
            raise InvalidInputError("older_than_seconds must be a number")
        if not older_than_seconds >= 0:
            raise InvalidInputError(f"older_than_seconds must be >= 0, got {older_than_seconds}")
        max_attempts = check.integer(max_attempts, "max_attempts", minimum=1)

        def work(connection: Connection) -> int:
            now = utcnow()
            stale = sa.and_(status_is(E.c.status, EvaluationStatus.RUNNING),
                            E.c.heartbeat_at < now - timedelta(seconds=older_than_seconds))
            reason = (sa.literal(f"no heartbeat for over {older_than_seconds:g} s from worker ")
                      + sa.func.coalesce(E.c.worker, "?")
                      + sa.literal(" on attempt ") + sa.cast(E.c.attempts, sa.Text)
                      + sa.literal(f" of {max_attempts}; given up"))
            failed = connection.execute(E.update().where(stale, E.c.attempts >= max_attempts)
                                        .values(status=EvaluationStatus.FAILED.value,
                                                error=reason, finished_at=now)).rowcount
            requeued = connection.execute(E.update().where(stale, E.c.attempts < max_attempts)
                                          .values(status=EvaluationStatus.PENDING.value)).rowcount
            return failed + requeued

        return self._write(work)

    def evaluation(self, evaluation_id: int) -> EvaluationRecord:
        """One evaluation by id.

        Args:
            evaluation_id: the id.

        Returns:
            The evaluation, metrics included.

        Raises:
            NotFoundError: no such evaluation.
        """
        evaluation_id = check.integer(evaluation_id, "evaluation id")

        def work(connection: Connection) -> EvaluationRecord:
            found = self._evaluation_records(connection, E.c.id == evaluation_id)
            if not found:
                raise NotFoundError(f"no evaluation with id {evaluation_id}")
            return found[0]

        return self._read(work)

    def evaluations_by_id(self, ids: Iterable[int]) -> list[EvaluationRecord]:
        """Evaluations by id, in the order asked (metrics included).

        Args:
            ids: evaluation ids.

        Raises:
            NotFoundError: naming ids that do not exist.

        Example:
            >>> [e.status for e in store.evaluations_by_id([1, 2])]
            [<EvaluationStatus.DONE: 'done'>, <EvaluationStatus.PENDING: 'pending'>]
        """
        wanted = [check.integer(i, "evaluation id") for i in ids]

        def work(connection: Connection) -> list[EvaluationRecord]:
            found: dict[int, EvaluationRecord] = {}
            for condition in in_batches(connection, E.c.id, sorted(set(wanted))):
                for record in self._evaluation_records(connection, condition):
                    found[record.id] = record
            missing = [i for i in wanted if i not in found]
            if missing:
                shown = ", ".join(map(str, missing[:5])) + (" ..." if len(missing) > 5 else "")
                raise NotFoundError(f"no evaluation with id(s) {shown}")
            return [found[i] for i in wanted]

        return self._read(work)

    def evaluations(self, key: GenomeKey) -> list[EvaluationRecord]:
        """Every evaluation of one genome, oldest first.

        Args:
            key: the genome's id, hash, hash prefix or Genome (see :meth:`genome`).

        Returns:
            Its evaluations, metrics included.

        Example:
            >>> [(e.task, e.status) for e in store.evaluations(gru.hash)]
            [('copy', <EvaluationStatus.DONE: 'done'>)]
        """
        def work(connection: Connection) -> list[EvaluationRecord]:
            row = self._genome_row(connection, key, (G.c.id,))
            return self._evaluation_records(connection, E.c.genome_id == row.id)

        return self._read(work)

    def evaluation_counts(self, *, campaign: CampaignKey | None = None,
                          task: str | None = None,
                          protocols: Iterable[str] | None = None,
                          seeds: Iterable[int] | None = None) -> dict[EvaluationStatus, int]:
        """How many evaluations are in each status (every status present, zeros included).

        Args:
            campaign: only the campaign's evaluations (asked for by it or of its members).
            task: only this task.
            protocols: only evaluations under these protocol hashes (a campaign's own,
                leaving out what other campaigns did with its member genomes).
            seeds: only evaluations with these training seeds (a campaign's own: another
                campaign or a report may train its members under the same protocol with
                other seeds).

        Returns:
            Status -> count.

        Example:
            >>> store.evaluation_counts()[EvaluationStatus.DONE]
            1
        """
        task = check.text(task, "task", optional=True)
        hashes = None if protocols is None else sorted(
            {check.text(p, "protocol hash") for p in protocols})
        seed_values = None if seeds is None else sorted(
            {check.integer(s, "seed", minimum=0) for s in seeds})

        def work(connection: Connection) -> dict[EvaluationStatus, int]:
            query = sa.select(E.c.status, sa.func.count()).group_by(E.c.status)
            if campaign is not None:
                query = query.where(of_campaign(self._campaign_id(connection, campaign)))
            if task is not None:
                query = query.where(E.c.task == task)
            if hashes is not None:
                query = query.where(E.c.protocol_hash.in_(hashes))
            if seed_values is not None:
                query = query.where(E.c.seed.in_(seed_values))
            counts = dict.fromkeys(EvaluationStatus, 0)
            for status, count in connection.execute(query):
                counts[EvaluationStatus(status)] = count
            return counts

        return self._read(work)

    def _evaluation_records(self, connection: Connection,
                            where: sa.ColumnElement[bool]) -> list[EvaluationRecord]:
        query = (sa.select(*_EVALUATION_COLUMNS).join(G, G.c.id == E.c.genome_id)
                 .where(where).order_by(E.c.id))
        return [EvaluationRecord(
            id=row.id, genome_id=row.genome_id, genome_hash=row.hash, task=row.task,
            protocol_hash=row.protocol_hash, seed=row.seed, status=EvaluationStatus(row.status),
            score=row.score, metrics=row.metrics, error=row.error, worker=row.worker,
            attempts=row.attempts, campaign_id=row.campaign_id, created_at=row.created_at,
            started_at=row.started_at, finished_at=row.finished_at,
            heartbeat_at=row.heartbeat_at) for row in connection.execute(query)]

