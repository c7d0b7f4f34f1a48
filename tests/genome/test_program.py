"""What compilation does to a genome: fusion, hoisting, shared values, parameter order."""

import pytest

from genome import parse, seeds
from genome.program import compile_genome, param_total


@pytest.mark.parametrize("name", seeds.names())
def test_parameters_match_the_genome_count(name):
    g = seeds.get(name)
    for fuse in ("all", "hoisted", "none"):
        program = compile_genome(g, fuse=fuse, hoist=True)
        assert param_total(program, 32, 32) == g.param_count(32, 32)


def test_parameters_come_in_reading_order():
    names = [p.name for p in compile_genome(seeds.get("gru")).params]
    assert names == ["z/W0", "z/U0", "z/b0", "r/W0", "r/U0", "r/b0", "h/W0", "h/U0", "h/b0"]


def test_matmuls_sharing_an_operand_are_fused():
    lstm = seeds.get("lstm_b")
    assert compile_genome(lstm, fuse="none").matmul_count == 8
    assert compile_genome(lstm, fuse="all").matmul_count == 2
    # GRU: the U h of both gates share h; U(r * h) reads another value.
    assert compile_genome(seeds.get("gru"), fuse="all").matmul_count == 3


def test_gates_that_read_only_x_are_hoisted_whole():
    program = compile_genome(seeds.get("mingru"), hoist=True)
    sigmoid = next(i for i in program.instructions if i.op == "sigmoid")
    assert sigmoid.outputs[0] in program.hoisted
    rnn = compile_genome(seeds.get("rnn"), hoist=True)
    late_sums = [i for i in rnn.instructions if i.op == "sum" and i.outputs[0] not in rnn.hoisted]
    assert len(late_sums) == 1 and len(late_sums[0].args) == 2  # (W x + b) + U h


def test_repeated_parameter_free_values_are_computed_once():
    program = compile_genome(parse("h' = tanh(h) * tanh(h) + (1 - h) * (1 - h)"))
    ops = [i.op for i in program.instructions]
    assert ops.count("tanh") == 1 and ops.count("sub") == 1


def test_parametric_nodes_are_never_shared():
    program = compile_genome(parse("h' = U h + U h"), fuse="none")
    assert program.matmul_count == 2


def test_unknown_fuse_mode_is_rejected():
    with pytest.raises(ValueError, match="fuse must be"):
        compile_genome(seeds.get("gru"), fuse="some")


def test_fingerprint_handles_matrices_of_constants():
    from genome.fingerprint import fingerprint

    assert fingerprint(parse("h' = tanh(U 1 + U b + W x)")) is not None
