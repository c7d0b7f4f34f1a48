import functools
import json
import time

import pytest

from genome import (
    HARD_LIMITS,
    Genome,
    GenomeError,
    NotationError,
    Slot,
    SlotKind,
    from_json,
    parse,
    seeds,
    to_json,
)
from genome.notation import MAX_NESTING, MAX_TEXT_LENGTH
from genome.primitives import bias_name

GRU = """
z = sigmoid(W x + U h + b)
r = sigmoid(W x + U h + b)
h' = z * h + (1 - z) * tanh(W x + U(r * h) + b)
"""


def test_parse_builds_the_slots_in_order():
    g = parse(GRU)
    assert [s.name for s in g.slots] == ["z", "r", "h"]
    assert [s.kind for s in g.slots] == [SlotKind.INTERMEDIATE] * 2 + [SlotKind.STATE]
    assert g.slot("z").node_names == ("sigmoid", "add", "add", "W", "x", "U", "h", "b")
    assert g.slot("h").node_names[:3] == ("add", "mul", "z")


def test_print_is_normalised_and_round_trips():
    g = parse("z=σ(W x+U h+b)\nr = sigmoid(W x + U h + b)  # reset gate\n\n"
              "h' = z*h + (1-z)*tanh(W x + U (r*h) + b)")
    assert str(g) == GRU.strip()
    assert parse(str(g)) == g


def test_semicolons_separate_statements():
    assert parse("z = sigmoid(W x + U h + b); h' = z * h") == parse(
        "z = sigmoid(W x + U h + b)\nh' = z * h"
    )


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("h' = h - h - h", ["sub", "sub", "h", "h", "h"]),
        ("h' = h - (h - h)", ["sub", "h", "sub", "h", "h"]),
        ("h' = h * h + h", ["add", "mul", "h", "h", "h"]),
        ("h' = h * (h + h)", ["mul", "h", "add", "h", "h"]),
        ("h' = p * h * h", ["mul", "p", "h", "h"]),
        ("h' = h * p * h", ["mul", "h", "p", "h"]),
        ("h' = U U h", ["U", "U", "h"]),
        ("h' = U h * h", ["mul", "U", "h", "h"]),
        ("h' = U(h * h)", ["U", "mul", "h", "h"]),
        ("h' = U tanh(h)", ["U", "tanh", "h"]),
        ("h' = p * U h", ["p", "U", "h"]),
        ("h' = tanh(x)", ["tanh", "xh", "x"]),
        ("h' = b(1) + b(-0.5) + b(0)", ["add", "add", "b(1)", "b(-0.5)", "b"]),
        ("h' = 1 - h", ["sub", "1", "h"]),
    ],
)
def test_precedence_and_associativity(text, tree):
    g = parse(text)
    assert list(g.slot("h").node_names) == tree
    assert parse(str(g)) == g


def test_states_read_previous_and_new_values():
    g = seeds.get("lstm")
    assert "c" in g.slot("i").node_names  # previous cell state through the peephole
    assert "c'" in g.slot("o").node_names  # new cell state
    assert "c'" in g.slot("h").node_names


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("h' = tanh(W x + U h + ", 1, 23, "ends where an operand is expected"),
        ("h' = foo(h)", 1, 6, "unknown function 'foo'"),
        ("h' = W h", 1, 6, "W multiplies the input x"),
        ("h' = z", 1, 6, "z is not defined"),
        ("z = h\nh' = z'", 2, 6, "z is an intermediate"),
        ("h' = c'\nc' = h", 1, 6, "c' is computed on line 2"),
        ("h' = z\nz = h", 1, 6, "z is defined on line 2, below"),
        ("h' = 2 * h", 1, 6, "the only numbers in an expression are 0 and 1"),
        ("h' = ((h)", 1, 6, "'(' is never closed"),
        ("h' = h)", 1, 7, "')' has no matching '('"),
        ("h' = h h", 1, 8, "expected an operator"),
        ("h' = p h", 1, 6, "p is a peephole weight"),
        ("h' = b(h)", 1, 8, "b(...) holds the bias's initial value"),
        ("h' = -h", 1, 6, "no unary minus"),
        ("h' = h $ h", 1, 8, "unexpected character '$'"),
        ("h' h", 1, 4, "expected '=' after h'"),
        ("= h", 1, 1, "expected a slot name"),
        ("h' = h\nh' = h", 2, 1, "h is already defined on line 1"),
        ("W = h\nh' = h", 1, 1, "'W' is reserved"),
        ("h' = tanh h", 1, 11, "expected '(' after tanh"),
        ("h' = add(h)", 1, 6, "'add' is reserved"),
        ("h' = mul(h, h)", 1, 11, "unexpected character ','"),
        # Columns count the user's characters, σ and ’ included.
        ("h' = σ(W x) + q", 1, 15, "q is not defined"),
        ("h’ = σ(σ(h)) * q", 1, 16, "q is not defined"),
        ("h' = σ h", 1, 8, "expected '(' after σ"),
        ("h' = tanh(W x + b(1e400))", 1, 19, "must be finite"),
        ("h' = b(-1e999) + h", 1, 9, "must be finite"),
    ],
)
def test_errors_name_line_column_and_expectation(text, line, column, fragment):
    with pytest.raises(NotationError) as caught:
        parse(text)
    error = caught.value
    assert (error.line, error.column) == (line, column), str(error)
    assert fragment in str(error)


def test_error_echoes_the_line_as_written():
    text = "h’ =\tσ(W x) ⊙ q  # gate"
    with pytest.raises(NotationError) as caught:
        parse(text)
    error = caught.value
    assert error.column == text.index("q") + 1
    echoed, caret = str(error).split("\n")[1:]
    assert echoed == "    " + text
    assert caret.index("^") == echoed.index("q")
    assert caret[4:].startswith("    \t")  # tabs kept, so the caret lines up when shown


def test_sigma_means_sigmoid():
    assert parse("z = σ(W x + b)\nh' = z * h") == parse("z = sigmoid(W x + b)\nh' = z * h")


def test_missing_output_is_reported():
    with pytest.raises(NotationError, match="no line defines h'"):
        parse("z = tanh(W x)\nc' = z")


def test_empty_text_is_reported():
    with pytest.raises(NotationError, match="no slots"):
        parse("  # only a comment\n\n")


def test_non_string_is_rejected():
    with pytest.raises(NotationError, match="must be a string"):
        parse(b"h' = h")  # type: ignore[arg-type]


def test_hostile_code_is_never_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "pwned"
    for text in (
        f"h' = __import__('os').system('touch {marker}')",
        f"h' = exec(\"open('{marker}', 'w')\")",
        f"h' = eval(\"open('{marker}', 'w')\")",
    ):
        with pytest.raises(NotationError):
            parse(text)
    assert not marker.exists()


def test_deep_nesting_is_a_clear_error_not_a_recursion_error():
    for opener, closer in (("(", ")"), ("tanh(", ")"), ("U(", ")")):
        text = "h' = " + opener * 100_000 + "h" + closer * 100_000
        with pytest.raises(NotationError, match="nested too deeply"):
            parse(text)


def test_deep_prefix_chain_is_a_clear_error():
    with pytest.raises(NotationError, match="nested too deeply"):
        parse("h' = " + "U " * 100_000 + "h")


def test_ten_megabyte_line_is_rejected_quickly():
    text = "h' = " + "h + " * (10 * 1024 * 1024 // 4) + "h"
    start = time.perf_counter()
    with pytest.raises(NotationError, match="characters long; the limit is"):
        parse(text)
    assert time.perf_counter() - start < 1.0


def test_long_but_legal_chain_parses_without_recursion():
    text = "h' = " + " + ".join(["U h"] * 2_000)
    g = parse(text)
    assert g.slot("h").size == 2_000 * 3 - 1
    assert g.height == 2_000
    assert parse(str(g)) == g
    assert len(g.hash) == 64


def test_reading_x_as_hidden_is_flagged():
    assert parse("h' = tanh(x + U h)").needs_square_input
    assert not parse("h' = tanh(W x + U h)").needs_square_input


def test_genome_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse("h' = q")
    assert issubclass(NotationError, GenomeError)


def _chain(names: list[str], leaf: str = "h") -> Genome:
    return Genome([Slot("h", "state", [*names, leaf])])


def _right_nested(op: str, depth: int) -> Genome:
    """``h op (h op (... h))``: every level parenthesised when printed."""
    return _chain([op, "h"] * depth)


BIGGEST = bias_name(-1.2345678901234567e-300)  # one of the longest bias names
WIDE = ["tanh chain at the node limit", "U(p * ...) chain", "right-nested product",
        "right-nested difference", "sum of long references", "sum of long biases",
        "products of sums", "sum of activations", "64 slots"]


@functools.cache
def _wide_genomes() -> dict[str, Genome]:
    cap = HARD_LIMITS.max_slot_size
    long_name = "z" * 32
    many = cap // 2
    return {
        "tanh chain at the node limit": _chain(["tanh"] * (cap - 1)),
        "U(p * ...) chain": _chain(["U", "p"] * ((cap - 1) // 2)),
        "right-nested product": _right_nested("mul", (cap - 1) // 2),
        "right-nested difference": _right_nested("sub", (cap - 1) // 2),
        "sum of long references": Genome([
            Slot(long_name, "intermediate", ["b"]),
            Slot("h", "state", ["add"] * (many - 2) + [long_name] * (many - 1)),
        ]),
        "sum of long biases": _chain(["add"] * (many - 1) + [BIGGEST] * (many - 1), BIGGEST),
        "products of sums": _chain(["mul", "add", "h", "h"] * ((cap - 1) // 4)),
        "sum of activations": _chain(["add"] * (cap // 3 - 1) + ["tanh", "h"] * (cap // 3 - 1),
                                     "h"),
        "64 slots": Genome(
            [Slot(f"s{i:031d}", "state", ["tanh"] * 300 + ["h"]) for i in range(63)]
            + [Slot("h", "state", ["tanh"] * 300 + [f"s{0:031d}"])]),
    }


@pytest.mark.parametrize("name", WIDE)
def test_every_genome_within_the_hard_limits_round_trips(name):
    g = _wide_genomes()[name]
    text = str(g)
    assert len(text) <= MAX_TEXT_LENGTH
    assert parse(text) == g
    assert from_json(json.dumps(to_json(g))) == g


@pytest.mark.parametrize("depth", [130, 300, 2_000])
def test_pending_operators_are_not_nesting(depth):
    g = _right_nested("mul", depth)
    assert g.height == depth
    assert parse(str(g)) == g
    text = "h' = " + "tanh(" * 300 + "h" + ")" * 300
    assert parse(text) == _chain(["tanh"] * 300)


def test_nesting_limit_counts_openings_and_names_the_one_too_many():
    assert parse("h' = " + "(" * 10_000 + "h" + ")" * 10_000) == _chain([])
    pairs = MAX_NESTING // 2 + 1  # each "U(" opens two levels
    with pytest.raises(NotationError, match="nested too deeply") as caught:
        parse("h' = " + "U(" * pairs + "h" + ")" * pairs)
    assert caught.value.column == len("h' = ") + MAX_NESTING + 1


def test_hostile_nesting_is_rejected_quickly():
    start = time.perf_counter()
    for text in ("h' = " + "tanh(" * 100_000 + "h" + ")" * 100_000,
                 "h' = " + "h * (" * 100_000 + "h" + ")" * 100_000,
                 "h' = " + "p * U(" * 100_000 + "h" + ")" * 100_000):
        with pytest.raises(NotationError, match=r"nested too deeply|too large"):
            parse(text)
    assert time.perf_counter() - start < 10.0
