"""Property tests on random genomes (hypothesis drives the generator's seed and shape)."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from genome import Genome, GenomeError, Limits, Slot, from_json, parse, to_json
from genome.generate import random_genome
from tests.genome.conftest import rename_slots, shuffle_operands


@st.composite
def genomes(draw) -> Genome:
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    return random_genome(
        rng,
        height=draw(st.integers(0, 6)),
        method=draw(st.sampled_from(["full", "grow"])),
        intermediates=draw(st.integers(0, 3)),
        extra_states=draw(st.integers(0, 2)),
        allow_square_input=draw(st.booleans()),
    )


common = settings(max_examples=150, deadline=None)


@common
@given(genomes())
def test_print_parse_round_trip(g):
    text = str(g)
    again = parse(text)
    assert again == g
    assert str(again) == text


@common
@given(genomes())
def test_json_round_trip(g):
    assert from_json(to_json(g)) == g


@common
@given(genomes())
def test_canonical_is_idempotent_and_keeps_size_bounds(g):
    canon = g.canonical()
    assert canon.canonical() == canon
    assert canon.hash == g.hash
    assert parse(str(canon)) == canon
    assert canon.param_count(8, 8) <= g.param_count(8, 8)


@common
@given(genomes(), st.integers(0, 2**32 - 1))
def test_hash_is_stable_under_operand_reordering(g, seed):
    assert shuffle_operands(g, random.Random(seed)).hash == g.hash


@common
@given(genomes())
def test_hash_is_stable_under_renaming(g):
    mapping = {name: f"q{index}" for index, name in enumerate(g.intermediates)}
    mapping.update({name: f"s{index}" for index, name in enumerate(g.states) if name != "h"})
    assert rename_slots(g, mapping).hash == g.hash


@common
@given(genomes(), st.data())
def test_validation_rejects_a_reference_to_an_undefined_slot(g, data):
    slot_index = data.draw(st.integers(0, len(g.slots) - 1))
    slot = g.slots[slot_index]
    leaves = [i for i, name in enumerate(slot.node_names) if name in ("0", "1", "b", "h")]
    if not leaves:
        return
    position = data.draw(st.sampled_from(leaves))
    names = list(slot.node_names)
    names[position] = "undefined_slot"
    try:
        Genome([*g.slots[:slot_index], Slot(slot.name, slot.kind, names),
                *g.slots[slot_index + 1:]])
    except GenomeError as error:
        assert "undefined_slot" in str(error)
    else:
        raise AssertionError("a reference to an undefined slot was accepted")


@common
@given(genomes(), st.integers(1, 6))
def test_validation_enforces_height(g, limit):
    problems = g.problems(Limits(max_height=limit, max_slot_size=10_000))
    assert bool(problems) == (g.height > limit)
