import random
from collections import Counter

import pytest

from evolve.operators import (
    OperatorContext,
    OperatorError,
    add_intermediate,
    add_state,
    crossover,
    make_toolbox,
    mut_insert,
    mut_node_replacement,
    mut_shrink,
    mut_uniform,
    remove_intermediate,
    vary,
)
from genome import Limits, parse, seeds

CONTEXT = OperatorContext(limits=Limits(max_height=8, max_slot_size=40, max_slots=8,
                                        max_states=3))
PARENTS = [seeds.get(n) for n in ("rnn", "gru", "lstm", "mgu", "mingru", "ugrnn")]


@pytest.mark.parametrize("operator", [mut_uniform, mut_node_replacement, mut_insert, mut_shrink,
                                      add_intermediate, add_state, remove_intermediate])
def test_every_operator_returns_structurally_valid_genomes_or_says_why(operator):
    rng = random.Random(0)
    changed = 0
    for index in range(200):
        parent = PARENTS[index % len(PARENTS)]
        try:
            child = operator(parent, rng, CONTEXT)
        except OperatorError as error:
            assert error.reason == "not-applicable"
            continue
        except Exception as error:  # structural rules are GenomeErrors, nothing else
            from genome import GenomeError

            assert isinstance(error, GenomeError), error
            continue
        assert parse(str(child)) == child
        changed += child.hash != parent.hash
    assert changed > 40


def test_operators_do_not_touch_the_global_random_state():
    import random as stdlib_random

    stdlib_random.seed(42)
    expected = stdlib_random.random()
    stdlib_random.seed(42)
    mut_uniform(seeds.get("gru"), random.Random(1), CONTEXT)
    mut_node_replacement(seeds.get("gru"), random.Random(1), CONTEXT)
    assert stdlib_random.random() == expected


def test_same_rng_same_child():
    for operator in (mut_uniform, mut_insert, add_intermediate, add_state):
        a = operator(seeds.get("lstm"), random.Random(7), CONTEXT)
        b = operator(seeds.get("lstm"), random.Random(7), CONTEXT)
        assert a == b


def test_slot_operators_change_the_slots():
    rng = random.Random(3)
    grown = add_intermediate(seeds.get("rnn"), rng, CONTEXT)
    assert len(grown.intermediates) == 1 and grown.dead_slots() == ()
    stateful = add_state(seeds.get("rnn"), rng, CONTEXT)
    assert stateful.states == ("c", "h") or set(stateful.states) == {"c", "h"}
    assert stateful.dead_slots() == ()
    gru = seeds.get("gru")
    removed = remove_intermediate(gru, rng, CONTEXT)
    assert len(removed.intermediates) == 1
    # Written in place at every read: a gate read twice is now two gates with their own weights.
    assert removed.param_count(4, 4) >= gru.param_count(4, 4)
    twice = remove_intermediate(parse("z = sigmoid(W x)\nh' = z * h + z"), rng, CONTEXT)
    assert str(twice) == "h' = sigmoid(W x) * h + sigmoid(W x)"
    with pytest.raises(OperatorError, match="no intermediate"):
        remove_intermediate(seeds.get("rnn"), rng, CONTEXT)


def test_crossover_mixes_two_parents():
    from genome import GenomeError

    gru, mgu = seeds.get("gru"), seeds.get("mgu")
    rng = random.Random(5)
    children = set()
    refused = 0
    for _ in range(100):
        try:
            child = crossover(gru, mgu, rng, CONTEXT)
        except GenomeError as error:
            # The only way a swap can fail: a donated subtree reads a slot (mgu's f)
            # that the child does not have.
            assert "reads f, which is not defined" in str(error), error
            refused += 1
            continue
        assert parse(str(child)) == child
        assert [s.name for s in child.slots] == [s.name for s in gru.slots]
        children.add(child.hash)
    assert 0 < refused < 40
    children.discard(gru.hash)  # swapping equal subtrees gives the parent back
    assert len(children) > 10


def test_vary_returns_only_valid_children_within_limits_and_counts_rejections():
    tight = OperatorContext(limits=Limits(max_height=5, max_slot_size=14, max_slots=4,
                                          max_states=2), allow_square_input=False)
    toolbox = make_toolbox(tight)
    rng = random.Random(11)
    rejections = Counter()
    made = 0
    small = [seeds.get(n) for n in ("rnn", "gru", "mgu")]
    for index in range(300):
        parents = [small[index % 3], small[(index + 1) % 3]]
        offspring = vary(toolbox, parents, rng, rejections)
        if offspring is None:
            continue
        made += 1
        child = offspring.genome
        assert child.problems(tight.limits) == []
        assert not child.needs_square_input
        assert child.hash not in {p.hash for p in parents[:1]}
        assert offspring.parents[0] == parents[0].hash
    assert made > 200
    assert rejections["unchanged"] > 0
    # A parent over the limits has no valid child at all.
    assert vary(toolbox, [seeds.get("lstm")], rng, rejections) is None
    assert rejections["slots"] > 0
    assert sum(rejections.values()) > 0
    assert set(rejections) <= {"reference", "type", "height", "size", "slots", "states",
                               "square-input", "unchanged", "not-applicable", "invalid"}


def test_toolbox_registers_operators_by_name():
    toolbox = make_toolbox()
    child = toolbox.mut_uniform(seeds.get("gru"), random.Random(0))
    assert child.states == ("h",)
    with pytest.raises(ValueError, match="unknown operator"):
        make_toolbox(weights={"mutate_everything": 1.0})
    with pytest.raises(ValueError, match="at least one positive"):
        make_toolbox(weights={"mut_uniform": 0.0})
