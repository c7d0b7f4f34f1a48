import random

import pytest

from genome import Limits
from genome._tree import height
from genome.generate import random_genome, random_tree


@pytest.mark.parametrize("depth", [2, 3, 4, 5, 6])
def test_thousand_random_genomes_per_depth_are_all_valid(depth):
    rng = random.Random(depth)
    limits = Limits(max_height=depth, max_slot_size=2**(depth + 2), max_slots=8, max_states=4)
    for index in range(1_000):
        g = random_genome(rng, height=depth, method="full" if index % 2 else "grow",
                          intermediates=index % 3, extra_states=index % 2,
                          allow_square_input=index % 5 == 0)
        assert g.problems(limits) == [], str(g)


@pytest.mark.parametrize("depth", range(1, 9))
def test_full_trees_reach_the_requested_height(depth):
    rng = random.Random(0)
    for _ in range(50):
        assert height(random_tree(rng, ("h",), depth, "full")) == depth


def test_grow_trees_respect_bounds():
    rng = random.Random(1)
    heights = {height(random_tree(rng, ("h",), 5, "grow", min_height=2)) for _ in range(300)}
    assert heights <= {2, 3, 4, 5}
    assert max(heights) == 5


def test_same_seed_same_genome():
    assert random_genome(random.Random(3), 5, intermediates=2) == random_genome(
        random.Random(3), 5, intermediates=2)


def test_square_input_only_when_allowed():
    rng = random.Random(2)
    assert not any(random_genome(rng, 4, "full").needs_square_input for _ in range(300))
    assert any(random_genome(rng, 4, "full", allow_square_input=True).needs_square_input
               for _ in range(300))
