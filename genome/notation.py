"""Reading genomes from the paper-like notation.

One slot per line (or separated by ``;``), ``#`` starts a comment::

    z  = sigmoid(W x + U h + b)
    r  = sigmoid(W x + U h + b)
    h' = z * h + (1 - z) * tanh(W x + U(r * h) + b)

The parser is a hand-written operator-precedence parser running on explicit
stacks: nothing is evaluated, and neither deep nesting nor long lines can
exhaust the Python stack. Errors name the line, the column and what was
expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from genome.core import HARD_LIMITS, Genome, Slot, SlotKind
from genome.errors import GenomeError, NotationError
from genome.primitives import ACTIVATIONS, LINEAR, RESERVED_NAMES, bias_name

__all__ = ["MAX_NESTING", "MAX_TEXT_LENGTH", "parse"]

#: Longest genome text accepted, in characters.
MAX_TEXT_LENGTH = 1_000_000
#: Deepest nesting of parentheses, functions and prefix operators (pending
#: ``+ - *`` do not count). The printer opens at most two of these per tree
#: level (``U(`` is a prefix and a parenthesis), so every genome within the
#: hard height limit reads back; anything deeper is hostile or redundant.
MAX_NESTING = 2 * HARD_LIMITS.max_height
# Steps of the parsing loop (``b(k)`` and ``tanh(`` are one step each). The
# printed form of a node takes at most three (an operator and the parentheses
# around it), so this admits every tree within the hard size limit.
_MAX_STEPS = 3 * HARD_LIMITS.max_slot_size + 1

_TOKEN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*'?)"
    r"|(?P<op>[-+*()=])"
    r"|(?P<sigma>σ)"
)
# Characters people paste from papers, read as their ASCII meaning. Each is
# replaced by one character, so columns still count the user's own text.
_TRANSLATE = str.maketrans({"’": "'", "′": "'", "⊙": "*", "·": "*", "×": "*", "−": "-",
                            "\t": " "})
# Words written otherwise in papers: σ is sigmoid.
_ALIASES = {"σ": "sigmoid"}

_BINARY = {"+": ("add", 1), "-": ("sub", 1), "*": ("mul", 2)}
_PREFIX_STRENGTH = {"p": 3, **{name: 4 for name in LINEAR}}


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", "op" or "end"
    text: str
    column: int


@dataclass
class _Ast:
    op: str
    column: int
    args: tuple = ()
    text: str = ""


@dataclass(frozen=True)
class _Line:
    number: int
    source: str
    target: str
    is_state: bool
    column: int
    body: list[_Token]


def parse(text: str) -> Genome:
    """Read a genome from its notation.

    Args:
        text: one slot per line, ``name = expr`` for an intermediate and
            ``name' = expr`` for a state; ``h'`` must be defined.

    Returns:
        The genome. ``str(parse(text))`` is the normalised text, and
        ``parse(str(g)) == g`` for every genome ``g``.

    Raises:
        NotationError: with the line, column and what was expected.
        GenomeError: for a readable text that is no valid cell.

    Example:
        >>> str(parse("h' = tanh(W x+U h+b)"))
        "h' = tanh(W x + U h + b)"
    """
    if not isinstance(text, str):
        raise NotationError(f"genome text must be a string, got {type(text).__name__}")
    if len(text) > MAX_TEXT_LENGTH:
        raise NotationError(
            f"genome text is {len(text):,} characters long; the limit is {MAX_TEXT_LENGTH:,}"
        )
    lines = _split(text)
    if not lines:
        raise NotationError("no slots: a genome needs at least the line h' = ...")
    defined: dict[str, _Line] = {}
    for line in lines:
        name = line.target.rstrip("'")
        if name in defined:
            raise NotationError(
                f"{name} is already defined on line {defined[name].number}",
                line.number, line.column, line.source,
            )
        defined[name] = line
    if "h" not in defined or not defined["h"].is_state:
        raise NotationError("no line defines h' (the cell's output): add a line h' = ...")
    if len(lines) > HARD_LIMITS.max_slots:
        raise NotationError(f"{len(lines)} slots; at most {HARD_LIMITS.max_slots} are allowed")
    states = {name for name, line in defined.items() if line.is_state}
    above: set[str] = set()
    slots = []
    for line in lines:
        tree = _parse_expression(line)
        nodes = _to_nodes(tree, line, states, above, defined)
        kind = SlotKind.STATE if line.is_state else SlotKind.INTERMEDIATE
        slots.append(Slot(line.target.rstrip("'"), kind, nodes))
        above.add(line.target)
    return Genome(slots)


def _split(text: str) -> list[_Line]:
    """Cut the text into statements and read each one's ``target =`` head."""
    statements = []
    for number, raw in enumerate(text.split("\n"), start=1):
        # Errors echo the line as the user wrote it; tokens come from the translation.
        source = raw.rstrip("\r")
        code = source.translate(_TRANSLATE).split("#", 1)[0]
        start = 0
        for piece in code.split(";"):
            tokens = _tokenize(piece, number, source, start)
            start += len(piece) + 1
            if len(tokens) > 1:
                statements.append(_head(tokens, number, source))
    return statements


def _tokenize(piece: str, number: int, source: str, offset: int) -> list[_Token]:
    tokens = []
    position = 0
    while position < len(piece):
        match = _TOKEN.match(piece, position)
        if match is None:
            raise NotationError(
                f"unexpected character {piece[position]!r}", number, offset + position + 1, source
            )
        kind = match.lastgroup
        if kind != "space":
            kind = "name" if kind == "sigma" else kind
            tokens.append(_Token(kind, match.group(), offset + position + 1))
        position = match.end()
    tokens.append(_Token("end", "end of line", offset + len(piece) + 1))
    return tokens


def _head(tokens: list[_Token], number: int, source: str) -> _Line:
    first = tokens[0]
    if first.kind != "name":
        raise NotationError(
            f"expected a slot name at the start of the statement (h' = ... or z = ...), "
            f"found {first.text!r}", number, first.column, source,
        )
    name = first.text.rstrip("'")
    if name in RESERVED_NAMES:
        raise NotationError(f"{name!r} is reserved and cannot name a slot", number,
                            first.column, source)
    if tokens[1].text != "=":
        raise NotationError(f"expected '=' after {first.text}, found {tokens[1].text!r}",
                            number, tokens[1].column, source)
    if tokens[2].kind == "end":
        raise NotationError(f"expected an expression after '{first.text} ='", number,
                            tokens[2].column, source)
    return _Line(number, source, first.text, first.text.endswith("'"), first.column, tokens[2:])


def _fail(line: _Line, token: _Token | _Ast, reason: str) -> NotationError:
    return NotationError(reason, line.number, token.column, line.source)


def _parse_expression(line: _Line) -> _Ast:
    """Operator-precedence parse of one right-hand side into an AST."""
    tokens = line.body
    output: list[_Ast] = []
    # Entries: ("(", token, function or "") / ("prefix", token) / ("binary", token).
    operators: list[tuple[str, _Token, str]] = []
    steps = 0
    nesting = 0  # "(" and prefix entries on the stack

    def push_nested(entry: tuple[str, _Token, str]) -> None:
        nonlocal nesting
        if nesting >= MAX_NESTING:
            raise _fail(line, entry[1], f"expression nested too deeply (over {MAX_NESTING:,} "
                                        f"levels of parentheses, functions and U, W, R, p)")
        nesting += 1
        operators.append(entry)

    def apply(entry: tuple[str, _Token, str]) -> None:
        nonlocal nesting
        kind, token, op = entry
        if kind == "binary":
            right = output.pop()
            left = output.pop()
            output.append(_Ast(op, token.column, (left, right)))
        else:
            nesting -= 1
            output.append(_Ast(op, token.column, (output.pop(),)))

    def strength(entry: tuple[str, _Token, str]) -> int:
        kind, token, op = entry
        if kind == "binary":
            return _BINARY[token.text][1]
        return _PREFIX_STRENGTH[op] if kind == "prefix" else 0

    expect_operand = True
    position = 0
    while True:
        token = tokens[position]
        following = tokens[position + 1] if position + 1 < len(tokens) else token
        steps += 1
        if steps > _MAX_STEPS:
            raise _fail(line, token, f"expression too large: over {_MAX_STEPS:,} operands, "
                                     f"operators and parentheses")
        if expect_operand:
            if token.kind == "number":
                if token.text not in ("0", "1"):
                    raise _fail(line, token,
                                f"the only numbers in an expression are 0 and 1, found "
                                f"{token.text}; a bias that starts at k is written b(k)")
                output.append(_Ast("const", token.column, text=token.text))
                expect_operand = False
            elif token.kind == "name":
                word = _ALIASES.get(token.text, token.text)
                if word == "x":
                    output.append(_Ast("x", token.column))
                    expect_operand = False
                elif word == "b":
                    if following.text == "(":
                        position = _bias_init(tokens, position, line, output)
                    else:
                        output.append(_Ast("bias", token.column, text="b"))
                    expect_operand = False
                elif word == "p":
                    if following.text != "*":
                        raise _fail(line, token, "p is a peephole weight vector and must "
                                                 "multiply something, as in p * c")
                    push_nested(("prefix", token, "p"))
                    position += 1
                elif word in LINEAR:
                    push_nested(("prefix", token, word))
                elif word in ACTIVATIONS:
                    if following.text != "(":
                        raise _fail(line, following, f"expected '(' after {token.text}, "
                                                     f"found {following.text!r}")
                    push_nested(("(", following, word))
                    position += 1
                elif word.rstrip("'") in RESERVED_NAMES:
                    raise _fail(line, token, f"{word!r} is reserved; write operators as "
                                             f"+, - and * and functions as tanh(...)")
                elif following.text == "(":
                    raise _fail(line, token, f"unknown function {word!r}; the functions are "
                                             f"{', '.join(ACTIVATIONS)}")
                else:
                    output.append(_Ast("ref", token.column, text=word))
                    expect_operand = False
            elif token.text == "(":
                push_nested(("(", token, ""))
            elif token.text == "-":
                raise _fail(line, token, "expected an operand; there is no unary minus "
                                         "(write 0 - a)")
            elif token.kind == "end":
                raise _fail(line, token, "the expression ends where an operand is expected")
            else:
                raise _fail(line, token, "expected an operand (a name, x, b, 0, 1, W x, "
                                         f"tanh(...) or '('), found {token.text!r}")
        elif token.text in _BINARY:
            op, level = _BINARY[token.text]
            while operators and operators[-1][0] != "(" and strength(operators[-1]) >= level:
                apply(operators.pop())
            operators.append(("binary", token, op))
            expect_operand = True
        elif token.text == ")":
            while operators and operators[-1][0] != "(":
                apply(operators.pop())
            if not operators:
                raise _fail(line, token, "')' has no matching '('")
            _, _, function = operators.pop()
            nesting -= 1
            if function:
                output.append(_Ast(function, output[-1].column, (output.pop(),)))
        elif token.kind == "end":
            while operators:
                entry = operators.pop()
                if entry[0] == "(":
                    raise _fail(line, entry[1], "'(' is never closed")
                apply(entry)
            return output[0]
        else:
            previous = tokens[position - 1]
            hint = ""
            if previous.kind == "name" and token.kind in ("name", "number"):
                hint = (f"; if {previous.text} was meant as a matrix, only W, U and R multiply "
                        f"(W x, U h)")
            raise _fail(line, token,
                        f"expected an operator (+, -, *), ')' or the end of the line after "
                        f"{previous.text!r}, found {token.text!r}{hint}")
        position += 1


def _bias_init(tokens: list[_Token], position: int, line: _Line, output: list[_Ast]) -> int:
    """Read ``b(k)`` starting at the ``b`` token; return the position of ``)``."""
    start = tokens[position]
    cursor = position + 2
    sign = ""
    if tokens[cursor].text == "-":
        sign = "-"
        cursor += 1
    number = tokens[cursor]
    if number.kind != "number" or tokens[cursor + 1].text != ")":
        raise _fail(line, number, "b(...) holds the bias's initial value, a number: b(1), b(-0.5)")
    try:
        name = bias_name(float(sign + number.text))
    except GenomeError as error:
        raise _fail(line, number, str(error)) from None
    output.append(_Ast("bias", start.column, text=name))
    return cursor + 1


def _to_nodes(tree: _Ast, line: _Line, states: set[str], above: set[str],
              defined: dict[str, _Line]) -> list[str]:
    """Type-check the AST and flatten it to prefix node names."""
    names: list[str] = []
    pending: list[tuple[_Ast, bool]] = [(tree, False)]  # (ast, read as input?)
    while pending:
        item, as_input = pending.pop()
        op = item.op
        if op == "x":
            names.extend(["x"] if as_input else ["xh", "x"])
        elif op == "W":
            if item.args[0].op != "x":
                raise _fail(line, item, "W multiplies the input x (W x); use U(...) or "
                                        "R(...) for a hidden operand")
            names.extend(["W", "x"])
        elif op in ("const", "bias"):
            names.append(item.text)
        elif op == "ref":
            names.append(_reference(item, line, states, above, defined))
        else:
            names.append(op)
            pending.extend((arg, False) for arg in reversed(item.args))
    return names


def _reference(item: _Ast, line: _Line, states: set[str], above: set[str],
               defined: dict[str, _Line]) -> str:
    word = item.text
    name = word.rstrip("'")
    readable = ", ".join(["x", *sorted(states), *sorted(above - {f"{s}'" for s in states}),
                          *sorted(above & {f"{s}'" for s in states})])
    if word.endswith("'"):
        if name not in states:
            if name in defined:
                raise _fail(line, item, f"{name} is an intermediate: read it as {name}, "
                                        f"without the prime")
            raise _fail(line, item, f"{word} is not defined; this line may read {readable}")
        if word not in above:
            raise _fail(line, item, f"{word} is computed on line {defined[name].number}, not "
                                    f"above this one; read the previous value {name} or move "
                                    f"that line up")
        return word
    if name in states or name in above:
        return name
    if name in defined:
        raise _fail(line, item, f"{name} is defined on line {defined[name].number}, below this "
                                f"one; a slot may read only slots above it")
    raise _fail(line, item, f"{name} is not defined; this line may read {readable}")
