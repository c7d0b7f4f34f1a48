"""The search strategies: Jozefowicz et al., regularized evolution, NSGA-II, random search."""

from __future__ import annotations

import random
from collections.abc import Sequence

from deap import tools

from evolve._creator import Candidate
from evolve.search._base import Member, Proposal, Strategy, scored, tournament

__all__ = ["JozefowiczSearch", "NSGA2Search", "RandomSearch", "RegularizedEvolution"]


class RandomSearch(Strategy):
    """Random genomes, the baseline every other strategy must beat."""

    name = "random"

    def propose(self, members, rng, count):
        return [self.random_proposal(rng) for _ in range(count)]


class RegularizedEvolution(Strategy):
    """Aging evolution (Real et al. 2019).

    Each child is a mutation of the winner of a tournament of ``tournament``
    alive members; after each generation the oldest members die so that
    ``population`` stay alive.
    """

    name = "regularized"

    def propose(self, members, rng, count):
        alive = [m for m in scored(members) if m.alive]
        return _children(self, alive, rng, count,
                         lambda: tournament(alive, self.settings.tournament, rng))

    def survivors(self, members):
        newest = sorted((m for m in members if m.score is not None), key=lambda m: m.birth)
        return {m.hash for m in newest[-self.settings.population:]}


class JozefowiczSearch(Strategy):
    """Jozefowicz et al. 2015: keep the best ``top`` cells; mutate a random one of them."""

    name = "jozefowicz"

    def propose(self, members, rng, count):
        best = [m for m in scored(members) if m.alive]
        return _children(self, best, rng, count, lambda: rng.choice(best))

    def survivors(self, members):
        ranked = sorted(scored(members), key=lambda m: (-m.score, m.birth))
        return {m.hash for m in ranked[: self.settings.top]}


class NSGA2Search(Strategy):
    """NSGA-II on (score, parameter count): the Pareto front of good, small cells."""

    name = "nsga2"

    def propose(self, members, rng, count):
        alive = [m for m in scored(members) if m.alive]

        def pick() -> Member:
            # Binary tournament on Pareto rank, then on score.
            a, b = rng.sample(alive, 2) if len(alive) > 1 else (alive[0], alive[0])
            return a if _dominates(a, b) or (not _dominates(b, a) and a.score >= b.score) else b

        return _children(self, alive, rng, count, pick)

    def survivors(self, members):
        candidates = []
        for member in scored(members):
            candidate = Candidate()
            candidate.fitness.values = (member.score, float(member.params))
            candidate.member = member
            candidates.append(candidate)
        chosen = tools.selNSGA2(candidates, min(self.settings.population, len(candidates)))
        return {c.member.hash for c in chosen}


def _dominates(a: Member, b: Member) -> bool:
    return (a.score >= b.score and a.params <= b.params
            and (a.score > b.score or a.params < b.params))


def _children(strategy: Strategy, pool: Sequence[Member], rng: random.Random, count: int,
              pick) -> list[Proposal]:
    if not pool:
        return [strategy.random_proposal(rng) for _ in range(count)]
    proposals = []
    for _ in range(count * 4):
        if len(proposals) == count:
            break
        proposal = strategy.child_of(pick(), pool, rng)
        if proposal is not None:
            proposals.append(proposal)
    return proposals


STRATEGIES = {cls.name: cls for cls in (JozefowiczSearch, RegularizedEvolution, NSGA2Search,
                                        RandomSearch)}
