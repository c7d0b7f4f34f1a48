"""Small campaign configurations: seconds per campaign, real training."""

from __future__ import annotations

import pytest

from evolve.campaign import load_config
from evolve.store import Store

TINY = {
    "strategy": "regularized",
    "search": {"population": 3, "tournament": 2, "top": 3},
    "tasks": [{"task": "memorization", "preset": "smoke",
               "overrides": {"train_steps": 15, "units": 8, "valid_sequences": 32,
                             "test_sequences": 32}}],
    "initial": ["rnn", "gru", "mingru"],
    "budget": 6,
    "batch": 3,
}


@pytest.fixture
def tiny_config():
    return load_config("smoke", **TINY)


@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'campaign.db'}")
    yield store
    store.close()


def snapshot(store: Store, name: str) -> list[tuple]:
    """What a campaign found, independent of row ids and timings."""
    members = sorted(store.members(name), key=lambda m: m.birth_order)
    return [(m.genome_hash, m.generation, m.birth_order, m.origin.value, m.alive,
             None if m.score is None else round(m.score, 9)) for m in members]
