"""Search strategies: which candidates to try next, from the members scored so far."""

from evolve.search._base import Member, Proposal, SearchSettings, Strategy
from evolve.search.strategies import (
    STRATEGIES,
    JozefowiczSearch,
    NSGA2Search,
    RandomSearch,
    RegularizedEvolution,
)

__all__ = [
    "STRATEGIES",
    "JozefowiczSearch",
    "Member",
    "NSGA2Search",
    "Proposal",
    "RandomSearch",
    "RegularizedEvolution",
    "SearchSettings",
    "Strategy",
    "make_strategy",
]


def make_strategy(name: str, settings: SearchSettings, toolbox) -> Strategy:
    """The strategy called ``name`` (jozefowicz, regularized, nsga2, random)."""
    try:
        return STRATEGIES[name](settings, toolbox)
    except KeyError:
        raise ValueError(f"unknown strategy {name!r}; the strategies are "
                         f"{', '.join(STRATEGIES)}") from None
