"""How members are scored: screen failures below every candidate that passed (fake training)."""

import pytest

from evolve.campaign import Campaign, load_config
from genome import seeds

RNN, GRU, MINGRU = (seeds.get(n).hash for n in ("rnn", "gru", "mingru"))


def screened_config(strategy: str):
    return load_config(
        "smoke", strategy=strategy, initial=["rnn", "gru", "mingru"], budget=6, batch=3,
        search={"population": 3, "tournament": 2, "top": 2, "crossover_rate": 0.5},
        tasks=[{"task": "memorization", "preset": "smoke", "screen": True, "threshold": 0.5},
               {"task": "arithmetic", "preset": "smoke"}])


@pytest.mark.parametrize("strategy", ["jozefowicz", "regularized", "nsga2"])
def test_a_screen_failure_scores_below_every_passer_and_is_never_a_parent(
        store, fake_training, strategy):
    fake_training.values.update({
        GRU: 1.0,                                          # the reference: ratios are values
        (RNN, "memorization"): 0.49,                       # just under the 0.5 threshold
        (MINGRU, "memorization"): 0.9, (MINGRU, "arithmetic"): 0.3,
    })
    summary = Campaign.create(store, "screened", screened_config(strategy), seed=2).run()
    assert summary.status == "finished" and summary.candidates == 6
    scores = {m.genome_hash: m.score for m in store.members("screened")}
    # Scored on the screen alone, rnn used to get 0.49 and outrank mingru's 0.3.
    assert scores[RNN] == pytest.approx(0.49 - 0.5)
    assert scores[MINGRU] == pytest.approx(0.3)
    assert scores[GRU] == pytest.approx(1.0)
    assert (RNN, "arithmetic") not in fake_training.calls  # failures go no further
    assert (MINGRU, "arithmetic") in fake_training.calls
    ranked = [row.hash for row in store.best(campaign="screened", k=6)]
    failed = [h for h, score in scores.items() if score < 0]
    assert RNN in failed and ranked[-len(failed):] == sorted(
        failed, key=lambda h: -scores[h])  # failures last, the closest first
    # Generation 1 was bred from the two that passed, never from rnn.
    children = [m for m in store.members("screened") if m.generation == 1]
    assert len(children) == 3
    for child in children:
        parents = {edge.parent_hash for edge in store.lineage(child.genome_hash).parents}
        assert parents and parents <= {GRU, MINGRU}, (child.genome_hash[:12], parents)


def test_every_screen_must_pass_and_the_worst_shortfall_counts(store, fake_training):
    config = load_config(
        "smoke", initial=["rnn", "gru"], budget=2, batch=2,
        tasks=[{"task": "memorization", "preset": "smoke", "screen": True, "threshold": 0.5},
               {"task": "arithmetic", "preset": "smoke", "screen": True, "threshold": 0.8},
               {"task": "xml", "preset": "smoke"}])
    fake_training.values.update({GRU: 1.0, (RNN, "memorization"): 0.9,
                                 (RNN, "arithmetic"): 0.7})
    Campaign.create(store, "two-screens", config).run()
    rnn = next(m for m in store.members("two-screens") if m.genome_hash == RNN)
    assert rnn.score == pytest.approx(0.7 - 0.8)
    assert (RNN, "xml") not in fake_training.calls
