import pickle

import pytest
from deap import gp

from genome import Genome, GenomeError, Limits, Slot, SlotKind, parse
from genome.primitives import node


def test_genome_is_immutable_and_hashable():
    g = parse("z = sigmoid(W x + U h + b)\nh' = z * h")
    tree = g.slot("z").tree
    assert isinstance(tree, gp.PrimitiveTree)
    tree[0] = node("tanh")  # editing the copy...
    assert g.slot("z").node_names[0] == "sigmoid"  # ...leaves the genome alone
    assert {g, parse(str(g))} == {g}
    with pytest.raises(AttributeError):
        g.foo = 1  # type: ignore[attr-defined]


def test_genome_pickles_for_worker_processes():
    g = parse("c' = c + W x\nh' = tanh(c')")
    assert pickle.loads(pickle.dumps(g)) == g


def test_structure_queries():
    g = parse("g = tanh(W x + U h)\nc' = g + c\nh' = tanh(c')")
    assert g.states == ("c", "h")
    assert g.intermediates == ("g",)
    assert g.readable(1) == ("c", "h", "g")
    assert g.readable(2) == ("c", "h", "g", "c'")
    assert g.output == "h"
    assert g.height == 3
    assert g.size == 6 + 3 + 2


@pytest.mark.parametrize(
    ("slots", "message"),
    [
        ([], "at least one slot"),
        ([Slot("c", "state", ["c"])], "needs the state slot h"),
        ([Slot("h", "intermediate", ["b"])], "needs the state slot h"),
        ([Slot("h", "state", ["add", "h"])], "missing operand"),
        ([Slot("h", "state", ["h", "h"])], "extra nodes"),
        ([Slot("h", "state", ["W", "h"])], "W takes (Input) but is given (Hidden)"),
        ([Slot("h", "state", ["tanh", "x"])], "tanh takes (Hidden) but is given (Input)"),
        ([Slot("h", "state", ["x"])], "must compute a hidden vector"),
        ([Slot("h", "state", ["q"])], "reads q, which is not defined above it"),
        ([Slot("h", "state", ["h'"])], "reads h', which is not computed above it"),
        ([Slot("z", "intermediate", ["b"]), Slot("h", "state", ["z'"])], "z is not a state"),
        ([Slot("h", "state", ["z"]), Slot("z", "intermediate", ["b"])], "reads z"),
        ([Slot("h", "state", ["b"]), Slot("h", "state", ["b"])], "defined twice"),
        ([Slot("x", "intermediate", ["b"]), Slot("h", "state", ["b"])], "cannot name a slot"),
        ([Slot("h", "state", ["b"])] * 70, "at most 64"),
    ],
)
def test_structural_rules(slots, message):
    with pytest.raises(GenomeError) as caught:
        Genome(slots)
    assert message in str(caught.value)


def test_unknown_node_name_is_rejected():
    with pytest.raises(GenomeError, match="is not a genome node"):
        Slot("h", "state", ["os.system('ls')"])
    with pytest.raises(GenomeError, match="not in normal form"):
        Slot("h", "state", ["b(1.0)"])


def test_limits_and_dead_slots_are_reported_by_validate():
    g = parse("dead = tanh(W x)\nh' = tanh(tanh(tanh(U h)))")
    problems = g.problems(Limits(max_height=2, max_slot_size=3))
    assert "slot dead is never read: h' does not depend on it" in problems
    assert "slot h' has height 4, over 2" in problems
    assert "slot h' has 5 nodes, over 3" in problems
    with pytest.raises(GenomeError, match="invalid genome"):
        g.validate(Limits(max_height=2))
    assert g.without_dead_slots().validate() == parse("h' = tanh(tanh(tanh(U h)))")


def test_dead_state_is_dead_too():
    g = parse("c' = c + W x\nh' = tanh(W x)")
    assert g.dead_slots() == ("c",)
    assert g.live_slots() == ("h",)


def test_state_read_only_through_its_previous_value_is_live():
    g = parse("h' = tanh(U c)\nc' = W x")
    assert g.dead_slots() == ()


def test_slot_limits_on_states_and_slots():
    g = parse("c' = W x\nd' = W x\nh' = c + d")
    assert "3 states, over the limit of 2" in g.problems(Limits(max_states=2))
    assert "3 slots, over the limit of 2" in g.problems(Limits(max_slots=2))


def test_slot_kind_accepts_strings():
    assert Slot("h", "state", ["b"]).kind is SlotKind.STATE
    with pytest.raises(ValueError):
        Slot("h", "memory", ["b"])


def test_genome_and_slot_fields_cannot_be_reassigned():
    g = parse("z = sigmoid(W x + U h + b)\nh' = z * h")
    other = parse("h' = tanh(U h)")
    for field, value in (("_slots", other.slots), ("_cache", {}), ("foo", 1)):
        with pytest.raises(AttributeError, match="cannot be changed"):
            setattr(g, field, value)
    with pytest.raises(AttributeError, match="cannot be changed"):
        del g._slots
    slot = g.slot("z")
    for field, value in (("name", "q"), ("kind", SlotKind.STATE), ("nodes", ()),
                         ("_names", ("b",))):
        with pytest.raises(AttributeError, match="cannot be changed"):
            setattr(slot, field, value)
    assert str(g) == "z = sigmoid(W x + U h + b)\nh' = z * h"


def test_shared_nodes_cannot_be_changed():
    tanh = node("tanh")
    with pytest.raises(AttributeError, match="shared by every genome"):
        tanh.name = "relu"
    with pytest.raises(AttributeError, match="shared by every genome"):
        node("h").name = "c"
    assert isinstance(tanh.args, tuple)
    assert node("tanh").name == "tanh" and node("h").name == "h"


def test_seeds_cannot_be_altered_through_the_cache():
    from genome import seeds

    gru = seeds.get("gru")
    attempts = [
        lambda: setattr(gru, "_slots", ()),
        lambda: setattr(gru.slots[0], "nodes", (node("b"),)),
        lambda: setattr(gru.slots[0], "name", "q"),
        lambda: setattr(gru.slots[0].nodes[0], "name", "relu"),
        lambda: setattr(gru.slots[0].nodes[-1], "name", "h'"),
    ]
    for attempt in attempts:
        with pytest.raises(AttributeError):
            attempt()
    assert seeds.get("gru") is gru
    assert gru == parse(seeds.info("gru").text)
    assert str(gru) == str(parse(seeds.info("gru").text))


def test_foreign_deap_nodes_become_the_shared_ones():
    from genome import primitive_set
    from genome.types import Hidden

    pset = primitive_set(("h",))
    tanh = next(p for p in pset.primitives[Hidden] if p.name == "tanh")
    h = next(t for t in pset.terminals[Hidden] if t.name == "h")
    slot = Slot("h", "state", [tanh, h])
    assert slot.nodes[0] is node("tanh") and slot.nodes[1] is node("h")
    with pytest.raises(GenomeError, match="node names or DEAP nodes"):
        Slot("h", "state", [3])


def test_slots_and_copies_pickle_to_equal_values():
    import copy

    slot = Slot("c", "state", ["add", "c", "W", "x"])
    assert pickle.loads(pickle.dumps(slot)) == slot
    g = parse("c' = c + W x\nh' = tanh(c')")
    assert copy.deepcopy(g) == g and copy.copy(g) == g
    assert pickle.loads(pickle.dumps(g.slot("c").tree)) == g.slot("c").tree


def test_square_input_counts_live_slots_only():
    from genome import param_count

    g = parse("z = x\nh' = tanh(W x + U h)")
    assert g.dead_slots() == ("z",)
    assert not g.needs_square_input
    assert param_count(g, 3, 4) == 3 * 4 + 4 * 4
    assert parse("z = x\nh' = tanh(W x + U h + z)").needs_square_input


def test_the_largest_tree_is_within_the_hard_limits():
    from genome import HARD_LIMITS

    within = Genome([Slot("h", "state", ["tanh"] * (HARD_LIMITS.max_slot_size - 1) + ["h"])])
    assert within.problems(HARD_LIMITS) == []
    with pytest.raises(GenomeError, match="nodes; at most"):
        Genome([Slot("h", "state", ["tanh"] * HARD_LIMITS.max_slot_size + ["h"])])
