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


class FakeTraining:
    """Stands in for :func:`evolve.evaluation.evaluate`: instant, with chosen results.

    A genome's value on a task is ``values[(hash, task)]``, else ``values[hash]``,
    else a number in [0.2, 0.8) drawn from its hash (deterministic). ``hook``
    runs first on every call (to sleep, raise or look at the store).
    """

    def __init__(self):
        self.values: dict = {}
        self.calls: list[tuple[str, str]] = []
        self.hook = None

    def value(self, genome, task: str) -> float:
        found = self.values.get((genome.hash, task), self.values.get(genome.hash))
        if found is None:
            found = 0.2 + 0.6 * int(genome.hash[:8], 16) / 16**8
        return float(found)

    def __call__(self, genome, protocol, seed=0, data_dir=None):
        from evolve.evaluation import EvaluationResult, Status

        self.calls.append((genome.hash, protocol.task))
        if self.hook is not None:
            self.hook(genome, protocol)
        return EvaluationResult(status=Status.DONE, task=protocol.task, metric="accuracy",
                                higher_is_better=True, value=self.value(genome, protocol.task))


@pytest.fixture
def fake_training(monkeypatch):
    """Training replaced by :class:`FakeTraining` in this process (inline executor only)."""
    import evolve.evaluation

    fake = FakeTraining()
    monkeypatch.setattr(evolve.evaluation, "evaluate", fake)
    return fake


def run_in_thread(function, timeout: float):
    """``function()`` on a daemon thread; its result, or AssertionError if it hangs."""
    import threading

    outcome: dict = {}

    def target():
        try:
            outcome["result"] = function()
        except BaseException as error:  # reported in the test's own thread
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise AssertionError(f"still running after {timeout} s (hung)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
