"""Small genome factories shared by the store tests (and the worker processes)."""

from __future__ import annotations

import genome


def variant(i: int) -> genome.Genome:
    """A cheap genome, distinct (canonically) for every ``i``."""
    return genome.parse(f"h' = tanh(W x + U h + b({i}))")


def variant_text(i: int) -> str:
    return f"h' = tanh(W x + U h + b({i}))"


def big_genome() -> genome.Genome:
    """A genome of more than 5,000 nodes (one slot, 1,700 terms)."""
    g = genome.parse("h' = " + " + ".join(["U h"] * 1700))
    assert g.size > 5000
    return g


def colliding_prefix_pair(width: int = 4) -> tuple[genome.Genome, genome.Genome]:
    """Two variants whose hashes share their first ``width`` hex digits."""
    seen: dict[str, genome.Genome] = {}
    i = 0
    while True:
        g = variant(i)
        prefix = g.hash[:width]
        if prefix in seen:
            return seen[prefix], g
        seen[prefix] = g
        i += 1
