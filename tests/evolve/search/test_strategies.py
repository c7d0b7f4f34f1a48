import random

import pytest

from evolve.operators import make_toolbox
from evolve.search import Member, SearchSettings, make_strategy
from genome import seeds

NAMES = ["rnn", "gru", "lstm", "mgu", "ugrnn", "mingru", "np", "cifg"]


def members(scores=None, alive=None):
    out = []
    for index, name in enumerate(NAMES):
        g = seeds.get(name)
        score = scores[index] if scores is not None else index / 10
        out.append(Member(g.hash, g, index, 0, score, g.param_count(8, 8),
                          True if alive is None else alive[index]))
    return out


@pytest.mark.parametrize("name", ["jozefowicz", "regularized", "nsga2", "random"])
def test_strategies_propose_the_requested_number_reproducibly(name):
    settings = SearchSettings(population=4, tournament=3, top=4)
    first = make_strategy(name, settings, make_toolbox()).propose(members(), random.Random(2), 6)
    again = make_strategy(name, settings, make_toolbox()).propose(members(), random.Random(2), 6)
    assert len(first) == 6
    assert [p.genome.hash for p in first] == [p.genome.hash for p in again]
    known = {m.hash for m in members()}
    for proposal in first:
        if name == "random":
            assert proposal.origin == "random" and not proposal.parents
        else:
            assert proposal.origin in ("mutation", "crossover")
            assert set(proposal.parents) <= known


def test_regularized_evolution_keeps_the_newest():
    strategy = make_strategy("regularized", SearchSettings(population=3), make_toolbox())
    survivors = strategy.survivors(members())
    assert survivors == {seeds.get(n).hash for n in NAMES[-3:]}


def test_jozefowicz_keeps_the_best_and_mutates_them():
    scores = [0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.0, 0.05]
    strategy = make_strategy("jozefowicz", SearchSettings(top=3, crossover_rate=0.0),
                             make_toolbox())
    best = {seeds.get(n).hash for n in ("gru", "mgu", "mingru")}
    assert strategy.survivors(members(scores)) == best
    alive = [m.hash in best for m in members(scores)]
    for proposal in strategy.propose(members(scores, alive), random.Random(0), 10):
        assert proposal.parents[0] in best


def hashes(*names):
    return {seeds.get(n).hash for n in names}


def test_nsga2_keeps_the_pareto_front_of_score_and_size():
    scores = [0.5, 0.9, 0.95, 0.4, 0.3, 0.2, 0.1, 0.0]
    strategy = make_strategy("nsga2", SearchSettings(population=3), make_toolbox())
    # Parameters at 8x8: rnn 136, gru 408, lstm 568; every other cell is larger than
    # rnn and scores less, or larger than gru/lstm and scores less: the front is these three.
    assert strategy.survivors(members(scores)) == hashes("rnn", "gru", "lstm")


def test_nsga2_ranks_screen_failures_below_every_passer():
    # rnn, the smallest cell, failed the screen: on plain Pareto ranking it would be
    # on the front (nothing is smaller) and kept over better, larger cells.
    scores = [-0.01, 0.9, 0.95, 0.4, -0.3, 0.2, 0.1, -0.2]
    strategy = make_strategy("nsga2", SearchSettings(population=3), make_toolbox())
    kept = strategy.survivors(members(scores))
    assert len(kept) == 3 and not kept & hashes("rnn", "ugrnn", "cifg")
    # Too few passers to fill the population: the closest failures fill it, best first.
    strategy = make_strategy("nsga2", SearchSettings(population=7), make_toolbox())
    assert strategy.survivors(members(scores)) == hashes(
        "gru", "lstm", "mgu", "mingru", "np", "rnn", "cifg")


def test_jozefowicz_list_leaves_out_screen_failures():
    scores = [-0.01, 0.3, -0.4, 0.2, -0.2, -0.3, -0.5, -0.6]
    strategy = make_strategy("jozefowicz", SearchSettings(top=3, crossover_rate=0.0),
                             make_toolbox())
    assert strategy.survivors(members(scores)) == hashes("gru", "mgu")
    # Before anything has passed, the list is the closest failures.
    failing = [-s if s > 0 else s for s in scores]
    assert strategy.survivors(members(failing)) == hashes("rnn", "mgu", "ugrnn")


@pytest.mark.parametrize("name", ["jozefowicz", "regularized", "nsga2"])
def test_a_screen_failure_is_neither_parent_nor_crossover_donor_beside_passers(name):
    # rnn, the smallest, failed the screen; every tournament of two meets a passer.
    scores = [-0.01, 0.9, 0.95, 0.4, 0.3, 0.2, 0.1, 0.05]
    toolbox = make_toolbox(weights={"crossover": 3.0, "mut_uniform": 1.0})
    strategy = make_strategy(name, SearchSettings(population=8, tournament=2, top=8,
                                                  crossover_rate=1.0), toolbox)
    proposals = strategy.propose(members(scores), random.Random(4), 24)
    assert len(proposals) == 24
    assert sum(p.origin == "crossover" for p in proposals) >= 8
    for proposal in proposals:
        assert seeds.get("rnn").hash not in proposal.parents, proposal.operator


def test_tournament_prefers_better_members():
    strategy = make_strategy("regularized", SearchSettings(tournament=8, crossover_rate=0.0),
                             make_toolbox())
    scores = [0.0] * 7 + [1.0]
    for proposal in strategy.propose(members(scores), random.Random(1), 5):
        assert proposal.parents[0] == seeds.get("cifg").hash


def test_unknown_strategy():
    with pytest.raises(ValueError, match="unknown strategy 'annealing'"):
        make_strategy("annealing", SearchSettings(), make_toolbox())
