"""The search strategies: Jozefowicz et al., regularized evolution, NSGA-II, random search."""

from __future__ import annotations

import random
from collections.abc import Sequence

from deap import tools

from evolve._creator import Candidate
from evolve.search._base import Member, Proposal, Strategy, passed, scored, tournament

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
    """Jozefowicz et al. 2015: keep the best ``top`` cells; mutate a random one of them.

    As in the paper, a cell that fails the screen never enters the list while
    any cell has passed it (the list is picked from uniformly).
    """

    name = "jozefowicz"

    def propose(self, members, rng, count):
        best = [m for m in passed(members) if m.alive]
        return _children(self, best, rng, count, lambda: rng.choice(best))

    def survivors(self, members):
        ranked = sorted(passed(members), key=lambda m: (-m.score, m.birth))
        return {m.hash for m in ranked[: self.settings.top]}


class NSGA2Search(Strategy):
    """NSGA-II on (score, parameter count): the Pareto front of good, small cells.

    A screen failure is an infeasible solution (Deb's constrained domination):
    every candidate that passed dominates it, however small it is, so it
    survives only to fill the population and wins no tournament against a
    passer.
    """

    name = "nsga2"

    def propose(self, members, rng, count):
        alive = [m for m in scored(members) if m.alive]

        def pick() -> Member:
            # Binary tournament on Pareto rank, then on score.
            a, b = rng.sample(alive, 2) if len(alive) > 1 else (alive[0], alive[0])
            return a if _dominates(a, b) or (not _dominates(b, a) and a.score >= b.score) else b

        return _children(self, alive, rng, count, pick)

    def survivors(self, members):
        feasible = [m for m in scored(members) if not m.failed_screen]
        size = self.settings.population
        candidates = []
        for member in feasible:
            candidate = Candidate()
            candidate.fitness.values = (member.score, float(member.params))
            candidate.member = member
            candidates.append(candidate)
        chosen = {c.member.hash for c in tools.selNSGA2(candidates, min(size, len(candidates)))}
        # Infeasible ones are ranked by how close they came to passing.
        failures = sorted((m for m in scored(members) if m.failed_screen),
                          key=lambda m: (-m.score, m.params, m.birth))
        chosen.update(m.hash for m in failures[: max(0, size - len(chosen))])
        return chosen


def _dominates(a: Member, b: Member) -> bool:
    if a.failed_screen != b.failed_screen:
        return b.failed_screen
    if a.failed_screen:  # both infeasible: the smaller violation dominates
        return a.score > b.score
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
