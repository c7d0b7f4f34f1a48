"""Each seed's structure: its slots, its gates and what reads what (REFERENCES.md)."""

import pytest

from genome import Genome, seeds

ALL = ["rnn", "gru", "lstm", "nig", "nfg", "nog", "niaf", "noaf", "np", "cifg", "fgr",
       "lstm_b", "mut1", "mut2", "mut3", "mgu", "ugrnn", "indrnn", "sru", "mingru"]


def reads(g: Genome, slot: str) -> set[str]:
    return set(g.slot(slot).references())


def ops(g: Genome, slot: str) -> list[str]:
    return list(g.slot(slot).node_names)


def count(g: Genome, slot: str, name: str) -> int:
    return ops(g, slot).count(name)


def test_library_has_the_twenty_seeds_with_citations():
    assert seeds.names() == ALL
    for name in ALL:
        seed = seeds.info(name)
        assert seed.citation and seed.summary
        g = seeds.get(name)
        assert g.validate() is g
        assert g.dead_slots() == ()


def test_unknown_seed_names_the_choices():
    with pytest.raises(KeyError, match=r"no seed named 'lstn'.*lstm"):
        seeds.get("lstn")


def test_rnn():
    g = seeds.get("rnn")
    assert [s.target for s in g.slots] == ["h'"]
    assert ops(g, "h") == ["tanh", "add", "add", "W", "x", "U", "h", "b"]


def test_gru_gates_and_reset_before_matmul():
    g = seeds.get("gru")
    assert [s.target for s in g.slots] == ["z", "r", "h'"]
    for gate in ("z", "r"):
        assert ops(g, gate)[0] == "sigmoid" and reads(g, gate) == {"h"}
    assert reads(g, "h") == {"z", "r", "h"}
    # The reset gate multiplies h inside the matmul: U(r * h).
    text = str(g.slot("h"))
    assert "U(r * h)" in text and "(1 - z) * tanh(" in text


LSTM_SLOTS = ["g", "i", "f", "c'", "o", "h'"]


def test_lstm_vanilla_has_peepholes_and_both_activations():
    g = seeds.get("lstm")
    assert [s.target for s in g.slots] == LSTM_SLOTS
    assert g.states == ("c", "h")
    assert ops(g, "g")[0] == "tanh"
    for gate in ("i", "f", "o"):
        assert ops(g, gate)[0] == "sigmoid" and count(g, gate, "p") == 1
    assert "c" in reads(g, "i") and "c" in reads(g, "f")
    assert "c'" in reads(g, "o") and "c" not in reads(g, "o")
    assert reads(g, "c") == {"g", "i", "c", "f"}
    assert ops(g, "h") == ["mul", "o", "tanh", "c'"]


@pytest.mark.parametrize(
    ("name", "missing", "check"),
    [
        ("nig", "i", lambda g: reads(g, "c") == {"g", "c", "f"}),
        ("nfg", "f", lambda g: reads(g, "c") == {"g", "i", "c"}),
        ("nog", "o", lambda g: ops(g, "h") == ["tanh", "c'"]),
    ],
)
def test_greff_gate_ablations_drop_one_gate(name, missing, check):
    g = seeds.get(name)
    assert missing not in [s.name for s in g.slots]
    assert len(g.slots) == 5
    assert check(g)


def test_niaf_and_noaf_drop_one_activation():
    niaf, noaf = seeds.get("niaf"), seeds.get("noaf")
    assert ops(niaf, "g")[0] == "add"  # no tanh on the block input
    assert ops(noaf, "h") == ["mul", "o", "c'"]  # no tanh on the output
    assert ops(niaf, "h") == ops(seeds.get("lstm"), "h")


def test_np_has_no_peepholes():
    g = seeds.get("np")
    assert all("p" not in s.node_names for s in g.slots)
    assert [s.target for s in g.slots] == LSTM_SLOTS


def test_cifg_couples_forget_to_input():
    g = seeds.get("cifg")
    assert ops(g, "f") == ["sub", "1", "i"]


def test_fgr_gates_are_states_reading_all_previous_gates():
    g = seeds.get("fgr")
    assert g.states == ("i", "f", "c", "o", "h")
    for gate in ("i", "f", "o"):
        assert count(g, gate, "R") == 3
        assert {"i", "f", "o"} <= reads(g, gate)
    assert reads(g, "c") == {"g", "i'", "c", "f'"}
    assert g.param_count(10, 20) == seeds.get("lstm").param_count(10, 20) + 9 * 20 * 20


def test_lstm_b_is_np_with_forget_bias_one():
    g, np_ = seeds.get("lstm_b"), seeds.get("np")
    assert ops(g, "f")[-1] == "b(1)" and ops(np_, "f")[-1] == "b"
    assert [s.target for s in g.slots] == LSTM_SLOTS
    assert g.param_count(7, 9) == np_.param_count(7, 9)


def test_mut_cells():
    mut1, mut2, mut3 = (seeds.get(n) for n in ("mut1", "mut2", "mut3"))
    assert reads(mut1, "z") == set() and "W" in ops(mut1, "z")
    assert "tanh(x)" in str(mut1.slot("h")) and "xh" in ops(mut1, "h")
    assert mut1.needs_square_input and mut2.needs_square_input
    assert not mut3.needs_square_input
    assert "xh" in ops(mut2, "r") and "W" not in ops(mut2, "r")
    assert ops(mut3, "z")[:6] == ["sigmoid", "add", "add", "W", "x", "U"]
    assert "U tanh(h)" in str(mut3.slot("z"))


def test_mgu_ugrnn_indrnn_sru_mingru():
    mgu = seeds.get("mgu")
    assert [s.target for s in mgu.slots] == ["f", "h'"] and "U(f * h)" in str(mgu.slot("h"))
    ugrnn = seeds.get("ugrnn")
    assert reads(ugrnn, "h") == {"g", "h"}
    indrnn = seeds.get("indrnn")
    assert ops(indrnn, "h")[0] == "relu" and "U" not in ops(indrnn, "h") and "p" in ops(
        indrnn, "h")
    sru = seeds.get("sru")
    assert sru.states == ("c", "h") and sru.needs_square_input
    assert all("U" not in s.node_names for s in sru.slots)
    mingru = seeds.get("mingru")
    assert reads(mingru, "z") == set()
