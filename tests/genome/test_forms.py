"""JSON and LaTeX forms, and the DEAP primitive sets."""

import json

import pytest

from genome import (
    GenomeError,
    Hidden,
    Input,
    Slot,
    from_json,
    parse,
    primitive_set,
    seeds,
    to_json,
)


def test_json_is_plain_data_and_round_trips():
    for name in seeds.names():
        g = seeds.get(name)
        data = json.loads(json.dumps(to_json(g)))
        assert from_json(data) == g
        assert from_json(json.dumps(data)) == g


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("not json", "does not parse"),
        ("[]", "must be an object"),
        ({"format": "other"}, "format 'other'"),
        ({"format": "rnn-genome/1", "slots": []}, "non-empty list 'slots'"),
        ({"format": "rnn-genome/1", "slots": [1]}, r"slots\[0\] must be an object"),
        ({"format": "rnn-genome/1", "slots": [{"name": "h", "kind": "memory", "tree": ["b"]}]},
         r"slots\[0\].kind"),
        ({"format": "rnn-genome/1", "slots": [{"name": "h", "kind": "state", "tree": "b"}]},
         r"slots\[0\].tree must be"),
        ({"format": "rnn-genome/1",
          "slots": [{"name": "h", "kind": "state", "tree": ["tanh", "__import__('os')"]}]},
         r"slots\[0\].tree\[1\]"),
        ({"format": "rnn-genome/1", "slots": [{"name": "h", "kind": "state", "tree": ["add"]}]},
         "missing operand"),
    ],
)
def test_bad_json_names_the_fault(document, message):
    with pytest.raises(GenomeError, match=message):
        from_json(document)


def test_latex_numbers_each_parameter_and_marks_time():
    latex = seeds.get("gru").to_latex()
    assert latex.startswith("\\begin{aligned}") and latex.endswith("\\end{aligned}")
    assert r"z_{t} &= \sigma(W_{z} x_{t} + U_{z} h_{t-1} + b_{z})" in latex
    assert r"U_{h} (r_{t} \odot h_{t-1})" in latex
    fgr = seeds.get("fgr").to_latex()
    assert r"R_{i,1} i_{t-1} + R_{i,2} f_{t-1} + R_{i,3} o_{t-1}" in fgr
    assert r"p_{o} \odot c_{t}" in fgr


def test_primitive_sets_follow_slot_position():
    g = seeds.get("lstm")
    pset = primitive_set(g.readable(g.index("o")))
    hidden = {t.name for t in pset.terminals[Hidden]}
    assert {"h", "c", "g", "i", "f", "c'"} <= hidden and "o" not in hidden
    assert [t.name for t in pset.terminals[Input]] == ["x"]
    assert "xh" not in {p.name for p in pset.primitives[Hidden]}
    assert "xh" in {p.name for p in primitive_set(("h",), True).primitives[Hidden]}


def test_primitive_sets_are_not_shared_between_callers():
    first = primitive_set(("h",))
    assert primitive_set(("h",)) is not first
    first.addTerminal(lambda: None, Hidden, name="intruder")
    first.primitives[Hidden].clear()
    again = primitive_set(("h",))
    assert "intruder" not in {t.name for t in again.terminals[Hidden]}
    assert {p.name for p in again.primitives[Hidden]} >= {"W", "U", "add", "tanh"}


def test_deap_operators_work_on_slot_trees():
    import random as stdlib_random

    from deap import gp

    g = parse("z = sigmoid(W x + U h + b)\nh' = tanh(W x + U(z * h) + b)")
    stdlib_random.seed(0)
    changed = 0
    for index, slot in enumerate(g.slots):
        pset = primitive_set(g.readable(index))
        for _ in range(50):
            tree = slot.tree
            gp.mutNodeReplacement(tree, pset)
            gp.mutInsert(tree, pset)
            child = g.replace(index, Slot(slot.name, slot.kind, tree))
            assert parse(str(child)) == child
            changed += child != g
    assert changed > 50


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a": ' * 100_000, b"[" * 100_000])
def test_deeply_nested_json_is_a_genome_error(text):
    with pytest.raises(GenomeError, match="nested too deeply"):
        from_json(text)


def test_oversized_json_is_rejected_before_parsing():
    from genome.serialize import MAX_JSON_LENGTH

    with pytest.raises(GenomeError, match="characters long; the limit is"):
        from_json(" " * (MAX_JSON_LENGTH + 1))
    huge = {"format": "rnn-genome/1",
            "slots": [{"name": "h", "kind": "state", "tree": ["b"] * 10_000_000}]}
    with pytest.raises(GenomeError, match=r"slots\[0\].tree: over 20,000 nodes"):
        from_json(huge)
    many = {"format": "rnn-genome/1",
            "slots": [{"name": f"s{i}", "kind": "state", "tree": ["b"]} for i in range(100)]}
    with pytest.raises(GenomeError, match="100 slots; at most 64"):
        from_json(many)
