import random

import pytest

from genome import parse, seeds
from tests.genome.conftest import rename_slots, shuffle_operands


def test_operand_order_does_not_change_the_hash():
    a = parse("h' = tanh(W x + U h + b)")
    b = parse("h' = tanh(b + U h + W x)")
    assert a != b
    assert a.hash == b.hash
    assert len(a.hash) == 64 and int(a.hash, 16) >= 0


def test_dead_intermediate_hashes_like_the_genome_without_it():
    with_dead = parse("z = sigmoid(W x + b)\nh' = tanh(W x + U h + b)")
    assert with_dead.hash == parse("h' = tanh(W x + U h + b)").hash


def test_names_and_line_order_do_not_matter():
    gru = seeds.get("gru")
    renamed = rename_slots(gru, {"z": "update", "r": "reset"})
    reordered = parse(
        "r = sigmoid(W x + U h + b)\nz = sigmoid(W x + U h + b)\n"
        "h' = z * h + (1 - z) * tanh(W x + U(r * h) + b)"
    )
    assert renamed.hash == gru.hash == reordered.hash
    lstm = seeds.get("lstm")
    assert rename_slots(lstm, {"c": "m", "g": "cand"}).hash == lstm.hash


@pytest.mark.parametrize(
    ("messy", "clean"),
    [
        ("h' = identity(h)", "h' = h"),
        ("h' = h * 1", "h' = h"),
        ("h' = h + 0", "h' = h"),
        ("h' = h - 0", "h' = h"),
        ("h' = U h * 0 + h", "h' = h"),
        ("h' = 1 - (1 - h)", "h' = h"),
        ("h' = tanh(h) - tanh(h) + W x", "h' = W x"),
        ("h' = tanh(0) + W x", "h' = W x"),
        ("h' = relu(relu(W x))", "h' = relu(W x)"),
        ("h' = U 0 + p * 0 + W x", "h' = W x"),
        ("h' = R h", "h' = U h"),
        ("z = tanh(W x)\nh' = z * h", "h' = tanh(W x) * h"),
    ],
)
def test_rewrites_that_keep_the_function(messy, clean):
    assert parse(messy).hash == parse(clean).hash


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("h' = U h - U h", "h' = 0"),  # two different matrices: not zero
        ("h' = h - W x", "h' = W x - h"),
        ("h' = tanh(W x + U h + b)", "h' = tanh(W x + U h + b(1))"),
        ("h' = sigmoid(W x)", "h' = tanh(W x)"),
        ("z = W x\nh' = z + z", "h' = W x + W x"),  # shared weights vs two matrices
    ],
)
def test_different_cells_keep_different_hashes(one, other):
    assert parse(one).hash != parse(other).hash


def test_every_seed_has_its_own_hash():
    hashes = {name: seeds.get(name).hash for name in seeds.names()}
    assert len(set(hashes.values())) == len(hashes)


def test_canonical_form_is_idempotent_and_valid_for_seeds():
    for name in seeds.names():
        canon = seeds.get(name).canonical()
        assert canon.canonical() == canon, name
        assert canon.param_count(32, 32) == seeds.get(name).param_count(32, 32), name
        assert canon.needs_square_input == seeds.get(name).needs_square_input, name


def test_canonical_names_follow_first_use():
    canon = seeds.get("gru").canonical()
    # r is read once and written in place; z is read twice and stays a slot.
    assert [s.name for s in canon.slots] == ["g1", "h"]
    assert str(canon).splitlines()[0] == "g1 = sigmoid(W x + U h + b)"
    lstm = seeds.get("lstm").canonical()
    assert lstm.states == ("c", "h")


def test_shuffled_seeds_hash_alike():
    rng = random.Random(7)
    for name in seeds.names():
        g = seeds.get(name)
        for _ in range(5):
            assert shuffle_operands(g, rng).hash == g.hash, name


def test_canonical_of_a_long_chain_is_fast_and_correct():
    text = "h' = " + " + ".join(f"U {'h' if i % 2 else 'tanh(h)'}" for i in range(4_000))
    g = parse(text)
    canon = g.canonical()
    assert canon.slot("h").size == g.slot("h").size
    assert canon.canonical() == canon
