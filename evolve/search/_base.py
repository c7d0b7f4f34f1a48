"""What a search strategy sees and proposes."""

from __future__ import annotations

import abc
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from deap import base

from evolve.operators import vary
from genome import Genome, random_genome


@dataclass(frozen=True)
class Member:
    """A campaign member as strategies see it.

    Attributes:
        hash: the genome's identity.
        genome: the genome.
        birth: birth order in the campaign (0, 1, 2, ...).
        generation: the generation it was born in.
        score: combined score (higher is better); None while not evaluated.
            Scores below 0 mark candidates that failed a screening task.
        params: parameter count at the campaign's sizes.
        alive: whether it is in the current population.
    """

    hash: str
    genome: Genome
    birth: int
    generation: int
    score: float | None
    params: int
    alive: bool = True

    @property
    def failed_screen(self) -> bool:
        """Whether it failed a screening task (its score is below 0)."""
        return self.score is not None and self.score < 0


@dataclass(frozen=True)
class Proposal:
    """A candidate to evaluate, with where it came from."""

    genome: Genome
    origin: str  # seed / mutation / crossover / random
    parents: tuple[str, ...] = ()
    operator: str = ""


@dataclass
class SearchSettings:
    """Knobs shared by the strategies.

    Attributes:
        population: alive members kept (regularized evolution, NSGA-II).
        tournament: members sampled per tournament.
        top: size of the best-so-far list (Jozefowicz et al.).
        crossover_rate: chance of picking a second parent.
        random_height: tree height of random genomes.
        random_intermediates: up to this many intermediates in random genomes.
        random_states: up to this many extra states in random genomes.
    """

    population: int = 20
    tournament: int = 5
    top: int = 20
    crossover_rate: float = 0.2
    random_height: int = 4
    random_intermediates: int = 2
    random_states: int = 1


class Strategy(abc.ABC):
    """Proposes candidates from the scored members; keeps no state of its own.

    Everything a strategy decides follows from the members (as stored) and the
    random stream it is given, so a resumed campaign continues exactly.
    """

    name: str

    def __init__(self, settings: SearchSettings, toolbox: base.Toolbox):
        self.settings = settings
        self.toolbox = toolbox
        self.rejections: Counter = Counter()

    @abc.abstractmethod
    def propose(self, members: Sequence[Member], rng: random.Random,
                count: int) -> list[Proposal]:
        """Up to ``count`` new candidates."""

    def survivors(self, members: Sequence[Member]) -> set[str]:
        """Hashes of the members that stay alive after a generation (default: all)."""
        return {m.hash for m in members}

    # -- helpers for subclasses ---------------------------------------------------------

    def random_proposal(self, rng: random.Random) -> Proposal:
        s = self.settings
        for _ in range(100):
            genome = random_genome(
                rng, height=rng.randint(1, s.random_height),
                method=rng.choice(["grow", "full"]),
                intermediates=rng.randint(0, s.random_intermediates),
                extra_states=rng.randint(0, s.random_states),
                allow_square_input=self.toolbox.context.allow_square_input)
            limits = self.toolbox.context.limits
            if not genome.problems(limits):
                return Proposal(genome, "random")
            self.rejections["random-too-large"] += 1
        raise RuntimeError("could not make a random genome within the size limits; "
                           "raise the limits or lower random_height")

    def child_of(self, first: Member, pool: Sequence[Member], rng: random.Random
                 ) -> Proposal | None:
        parents = [first.genome]
        if len(pool) > 1 and rng.random() < self.settings.crossover_rate:
            donors = [m for m in pool if m.hash != first.hash]
            # A screen failure donates only when no other member passed.
            donors = [m for m in donors if not m.failed_screen] or donors
            parents.append(rng.choice(donors).genome)
        offspring = vary(self.toolbox, parents, rng, self.rejections)
        if offspring is None:
            return None
        origin = "crossover" if offspring.operator == "crossover" else "mutation"
        return Proposal(offspring.genome, origin, offspring.parents, offspring.operator)


def scored(members: Sequence[Member]) -> list[Member]:
    return [m for m in members if m.score is not None]


def passed(members: Sequence[Member]) -> list[Member]:
    """The scored members that passed the screen; all scored ones if none did."""
    ranked = scored(members)
    return [m for m in ranked if not m.failed_screen] or ranked


def tournament(pool: Sequence[Member], size: int, rng: random.Random) -> Member:
    contestants = rng.sample(list(pool), min(size, len(pool)))
    return max(contestants, key=lambda m: (m.score, -m.birth))
