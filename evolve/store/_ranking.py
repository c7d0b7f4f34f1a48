"""Ranking: the best genomes per task and per campaign."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from evolve.store import _validate as check
from evolve.store._base import CampaignKey, E, G, M, StoreBase, in_batches, member_of, status_is
from evolve.store._errors import InvalidInputError
from evolve.store.records import EvaluationStatus
from evolve.store.records import RankedGenome as Ranked

__all__ = ["RankingMixin"]

# Members up to which best(campaign=...) sorts the campaign's own evaluations
# rather than walking the global score index (see _best_evaluations).
_SMALL_CAMPAIGN = 2000


class RankingMixin(StoreBase):
    """best(): higher scores first, each genome once."""

    def best(self, campaign: CampaignKey | None = None, task: str | None = None,
             k: int = 10) -> list[Ranked]:
        """The ``k`` best genomes, best first (higher score is better).

        - ``task`` given: ``done`` evaluations of that task, each genome once with its
          best score (restricted to the campaign's members when ``campaign`` is given too).
        - ``campaign`` only: members by their campaign score (see
          :meth:`set_member_scores`); if no member has one yet, members by their best
          ``done`` evaluation of any task.
        - neither: an error. Scores of different tasks are not comparable
          (accuracy against bits per character), so there is no overall ranking.
          With ``task``, all protocols of that task are ranked together: give
          the campaign too to compare like with like.

        Ties go to the earlier row.

        Args:
            campaign: restrict to a campaign (name or id).
            task: rank by this task's evaluations.
            k: how many genomes.

        Returns:
            Up to ``k`` ranked genomes, each with its score, hash, notation and, when the
            score comes from an evaluation, that evaluation's id, task, protocol and seed.

        Raises:
            InvalidInputError: neither ``campaign`` nor ``task`` is given, or ``k`` < 1.
            NotFoundError: no such campaign.

        Example:
            >>> [r.hash[:8] for r in store.best(task="copy", k=3)]
            ['3f2a9c10']
        """
        k = check.integer(k, "k", minimum=1)
        task = check.text(task, "task", optional=True)
        if campaign is None and task is None:
            raise InvalidInputError("best() needs a task or a campaign (or both): scores of "
                                    "different tasks cannot be ranked together")

        def work(connection: Connection) -> list[Ranked]:
            campaign_id = None if campaign is None else self._campaign_id(connection, campaign)
            picked: list[tuple[int, float, Row | None]] = []
            if campaign_id is not None and task is None:
                picked = self._best_members(connection, campaign_id, k)
            if not picked:
                picked = self._best_evaluations(connection, campaign_id, task, k)
            genomes = {}
            for among in in_batches(connection, G.c.id, sorted({g for g, _, _ in picked})):
                for row in connection.execute(
                        sa.select(G.c.id, G.c.hash, G.c.text, G.c.size, G.c.data).where(among)):
                    genomes[row.id] = row
            return [Ranked(
                rank=rank, score=score, genome_id=genome_id, hash=genomes[genome_id].hash,
                text=genomes[genome_id].text, size=genomes[genome_id].size,
                task=None if source is None else source.task,
                evaluation_id=None if source is None else source.id,
                protocol_hash=None if source is None else source.protocol_hash,
                seed=None if source is None else source.seed, data=genomes[genome_id].data)
                for rank, (genome_id, score, source) in enumerate(picked, start=1)]

        return self._read(work)

    @staticmethod
    def _best_members(connection: Connection, campaign_id: int,
                      k: int) -> list[tuple[int, float, Row | None]]:
        rows = connection.execute(
            sa.select(M.c.genome_id, M.c.score)
            .where(M.c.campaign_id == campaign_id, M.c.score.is_not(None))
            .order_by(M.c.score.desc(), M.c.id).limit(k))
        return [(row.genome_id, row.score, None) for row in rows]

    @staticmethod
    def _best_evaluations(connection: Connection, campaign_id: int | None, task: str | None,
                          k: int) -> list[tuple[int, float, Row | None]]:
        query = (sa.select(E.c.id, E.c.genome_id, E.c.score, E.c.task, E.c.protocol_hash,
                           E.c.seed)
                 .where(status_is(E.c.status, EvaluationStatus.DONE), E.c.score.is_not(None)))
        if task is not None:
            query = query.where(E.c.task == task)
        if campaign_id is not None:
            # The query's shape steers SQLite's plan. A large campaign: EXISTS,
            # so the score index is walked from the top and membership probed
            # per row (listing every member and sorting all their evaluations
            # would take ~100 ms at 50,000 members). A small one: IN, so its few
            # members' evaluations are fetched and sorted (walking the index
            # could pass most of the table before meeting k members).
            members = (sa.select(M.c.genome_id).where(M.c.campaign_id == campaign_id)
                       .limit(_SMALL_CAMPAIGN).subquery())
            count = connection.execute(sa.select(sa.func.count()).select_from(members)).scalar()
            query = query.where(member_of(campaign_id) if count >= _SMALL_CAMPAIGN else
                                E.c.genome_id.in_(sa.select(M.c.genome_id)
                                                  .where(M.c.campaign_id == campaign_id)))
        query = query.order_by(E.c.score.desc(), E.c.id)
        # Walk the score index from the top and keep each genome's first (best)
        # row, fetching deeper only when genomes with many evaluations crowd the
        # top: far cheaper than grouping every evaluation per genome.
        fetch = max(4 * k, 40)
        while True:
            rows = connection.execute(query.limit(fetch)).all()
            best: dict[int, Row] = {}
            for row in rows:
                best.setdefault(row.genome_id, row)
                if len(best) == k:
                    break
            if len(best) == k or len(rows) < fetch:
                return [(row.genome_id, row.score, row) for row in best.values()]
            fetch *= 4
