"""Property tests on random genomes (hypothesis drives the generator's seed and shape)."""

import json
import random

from hypothesis import Phase, assume, find, given, settings
from hypothesis import strategies as st

from genome import (
    Genome,
    GenomeError,
    Limits,
    NotationError,
    Slot,
    SlotKind,
    from_json,
    parse,
    to_json,
)
from genome.generate import random_genome
from genome.primitives import RESERVED_NAMES, bias_name, bias_value
from tests.genome.conftest import rename_slots, shuffle_operands


@st.composite
def genomes(draw, with_intermediate: bool = False) -> Genome:
    """Random genomes; ``with_intermediate``: each with a (live) intermediate slot."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    options = {
        "height": draw(st.integers(1 if with_intermediate else 0, 6)),
        "method": draw(st.sampled_from(["full", "grow"])),
        "intermediates": draw(st.integers(1 if with_intermediate else 0, 3)),
        "extra_states": draw(st.integers(0, 2)),
        "allow_square_input": draw(st.booleans()),
    }
    g = random_genome(rng, **options)
    # The generator drops unread intermediates, often all of them: retry from the
    # same stream, rather than have assume() reject most inputs (hypothesis then
    # fails its filter_too_much health check, on some seeds).
    for _ in range(50 if with_intermediate else 0):
        if g.intermediates:
            break
        g = random_genome(rng, **options)
    return g


# The whole vocabulary, unlike the generator (which never writes R or identity, and
# only b and b(1)): what a person may type, and so what must read back.
_UNARY = ("U", "R", "p", "tanh", "sigmoid", "relu", "identity")
_BINARY = ("add", "sub", "mul")
_KINDS = (*_UNARY, *_BINARY, "W x", "xh x", "0", "1", "bias", "reference")
_biases = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1.0, -1.0, 0.5, -0.25, 1e15, -1e16, 123456789.0, 5e-324, 1e300]),
).map(bias_name)
_slot_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,31}", fullmatch=True).filter(
    lambda name: name not in RESERVED_NAMES and name != "h")


@st.composite
def any_tree(draw, readable: tuple[str, ...], max_height: int) -> list[str]:
    """A well-typed tree over the whole vocabulary, drawn node by node in prefix order."""
    names: list[str] = []
    pending = [0]
    while pending:
        depth = pending.pop()
        kinds = _KINDS if depth < max_height else ("0", "1", "bias", "reference")
        kind = draw(st.sampled_from(kinds))
        if kind == "bias":
            names.append(draw(_biases))
        elif kind == "reference":
            names.append(draw(st.sampled_from(readable)))
        else:
            names.extend(kind.split())
            arity = 2 if kind in _BINARY else 1 if kind in _UNARY else 0
            pending.extend([depth + 1] * arity)
    return names


@st.composite
def vocabulary_genomes(draw) -> Genome:
    """Random slot names, kinds and order; every tree reads only what its position allows."""
    others = draw(st.lists(_slot_names, max_size=4, unique=True))
    kinds = [draw(st.sampled_from(list(SlotKind))) for _ in others]
    order = [*zip(others, kinds, strict=True), ("h", SlotKind.STATE)]
    order = draw(st.permutations(order))
    states = tuple(name for name, kind in order if kind is SlotKind.STATE)
    max_height = draw(st.integers(0, 5))
    slots, above = [], []
    for name, kind in order:
        tree = draw(any_tree(states + tuple(above), max_height))
        slots.append(Slot(name, kind, tree))
        above.append(f"{name}'" if kind is SlotKind.STATE else name)
    return Genome(slots)


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
@given(vocabulary_genomes())
def test_print_parse_round_trip_over_the_whole_vocabulary(g):
    text = str(g)
    again = parse(text)
    assert again == g
    assert str(again) == text


@common
@given(vocabulary_genomes())
def test_json_round_trip_over_the_whole_vocabulary(g):
    assert from_json(to_json(g)) == g
    assert from_json(json.dumps(to_json(g))) == g


def test_the_vocabulary_strategy_reaches_what_the_generator_never_writes():
    def names(g: Genome) -> set[str]:
        return {n for s in g.slots for n in s.node_names}

    quick = settings(max_examples=2_000, database=None, phases=[Phase.generate])
    for wanted in ("R", "identity", "xh", "p"):
        assert wanted in names(find(vocabulary_genomes(), lambda g, w=wanted: w in names(g),
                                    settings=quick))
    unusual = find(vocabulary_genomes(), lambda g: any(
        bias_value(n) not in (None, 0.0, 1.0) for n in names(g)), settings=quick)
    assert any(bias_value(n) not in (None, 0.0, 1.0) for n in names(unusual))


@common
@given(vocabulary_genomes())
def test_validation_rejects_a_genome_without_h(g):
    rest = [s for s in g.slots if s.name != "h"]
    as_intermediate = [Slot(s.name, SlotKind.INTERMEDIATE, s.nodes) if s.name == "h" else s
                       for s in g.slots]
    for slots in (rest, as_intermediate):
        try:
            Genome(slots)
        except GenomeError as error:
            assert "h" in str(error) and ("needs the state slot h" in str(error)
                                          or "at least one slot" in str(error))
        else:
            raise AssertionError("a genome without the state h was accepted")
    text = "\n".join(str(s) for s in rest)
    try:
        parse(text)
    except NotationError as error:
        assert "no line defines h'" in str(error) or "no slots" in str(error)
    else:
        raise AssertionError("text without h' was accepted")


@common
@given(genomes(with_intermediate=True), st.data())
def test_validation_rejects_a_slot_moved_below_its_reader(g, data):
    # Every live intermediate is read, at the same step, by a slot below it.
    movable = [i for i, s in enumerate(g.slots) if not s.is_state]
    assume(movable)
    index = data.draw(st.sampled_from(movable))
    moved = g.slots[index]
    readers = [j for j in range(index + 1, len(g.slots))
               if moved.target in g.slots[j].references()]
    assert readers
    last = data.draw(st.sampled_from(readers))
    slots = list(g.slots)
    slots.insert(last, slots.pop(index))  # now just below the reader at `last`
    try:
        Genome(slots)
    except GenomeError as error:
        assert f"reads {moved.target}, which is not defined above it" in str(error)
    else:
        raise AssertionError("a slot read above its definition was accepted")
    try:
        parse("\n".join(str(s) for s in slots))
    except NotationError as error:
        first_reader = next(j for j, s in enumerate(slots) if moved.target in s.references())
        assert error.line == first_reader + 1
        assert f"{moved.name} is defined on line {last + 1}, below this one" in str(error)
    else:
        raise AssertionError("text reading a slot defined below was accepted")


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
