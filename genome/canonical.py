"""The canonical form of a genome, whose SHA-256 is the genome's identity.

Rewrites that keep the cell's function and, but for one case, its parameter count:

* ``identity(a)`` is ``a``; ``R`` is ``U`` (both are fresh H x H matrices);
* constants fold: ``a * 1``, ``a + 0``, ``a - 0``, ``a * 0``, ``1 - (1 - a)``,
  ``a - a`` (for a parameter-free ``a``), ``tanh(0)``, ``relu(relu(a))``,
  ``U 0`` and ``p * 0``. The one case: weights that only ever meet a zero
  (``0 * W x``, ``U 0``, ``p * 0``) fold away with it, so the canonical form
  counts fewer parameters than the genome, whose layers still build them;
* operands of ``+`` and ``*`` chains are sorted by a structural key that
  does not depend on slot names;
* slots that ``h'`` does not depend on are dropped, and an intermediate read
  exactly once is written in place (reading it shares nothing then);
* slots are ordered by first use from ``h'`` and renamed: states ``c``,
  ``c2``, ... and intermediates ``g1``, ``g2``, ... (``h`` keeps its name).

Slot names and line order do not matter to the result. Two states that play
the same role are told apart by Weisfeiler-Lehman refinement of their trees.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Callable

from genome._tree import fold
from genome.core import OUTPUT, Genome, Slot, SlotKind
from genome.primitives import is_reference

__all__ = ["canonical"]

_PARAMETRIC = frozenset({"W", "U", "R", "p"})
_CHAINS = ("add", "mul")
# Order of operands inside a chain, for readability: W x + U h + p * c + ... + b.
_RANK = {"W": 0, "U": 1, "p": 2, "xh": 5, "0": 7, "1": 7}
_RANK_REFERENCE, _RANK_BIAS, _RANK_COMPOUND = 4, 6, 3
# Beyond this many ways to order look-alike slots, their given order is kept.
_MAX_TIE_ORDERS = 720


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


class _Node:
    """A tree node during canonicalisation; ``add`` and ``mul`` are n-ary."""

    __slots__ = ("free", "key", "kids", "op", "rank", "sorted")

    def __init__(self, op: str, kids: list[_Node], free: bool, rank: int):
        self.op = op
        self.kids = kids
        self.free = free
        self.rank = rank
        self.key = ""
        self.sorted = op not in _CHAINS


class _Builder:
    """Simplifies and keys trees bottom-up, reading references through ``label``."""

    def __init__(self, label: Callable[[str], str], fold_equal: bool):
        self.label = label
        self.fold_equal = fold_equal

    def finish(self, item: _Node) -> _Node:
        if not item.sorted:
            item.kids.sort(key=lambda kid: (kid.rank, kid.key))
            item.sorted = True
        if not item.key:
            label = self.label(item.op) if item.rank == _RANK_REFERENCE else item.op
            item.key = _digest(label + "(" + ",".join(kid.key for kid in item.kids) + ")")
        return item

    def leaf(self, op: str, rank: int, free: bool) -> _Node:
        return self.finish(_Node(op, [], free, rank))

    def constant(self, value: str) -> _Node:
        return self.leaf(value, _RANK[value], True)

    def combine(self, item, kids: list[_Node]) -> _Node:
        op = "U" if item.name == "R" else item.name
        if not item.arity:
            if is_reference(item):
                return self.leaf(op, _RANK_REFERENCE, True)
            if op.startswith("b"):
                return self.leaf(op, _RANK_BIAS, False)
            return self.leaf(op, _RANK.get(op, _RANK_COMPOUND), True)
        if op in _CHAINS:
            return self.chain(op, kids)
        for kid in kids:
            self.finish(kid)
        first = kids[0]
        if op == "identity":
            return first
        if op == "sub":
            second = kids[1]
            if second.op == "0":
                return first
            if self.fold_equal and first.free and second.free and first.key == second.key:
                return self.constant("0")
            if first.op == "1" and second.op == "sub" and second.kids[0].op == "1":
                return second.kids[1]
        if first.op == "0" and op in ("U", "p", "tanh", "relu"):
            return first
        if op == "relu" and first.op in ("1", "relu", "sigmoid"):
            return first
        free = op not in _PARAMETRIC and all(kid.free for kid in kids)
        return self.finish(_Node(op, kids, free, _RANK.get(op, _RANK_COMPOUND)))

    def chain(self, op: str, kids: list[_Node]) -> _Node:
        neutral, absorbing = ("0", None) if op == "add" else ("1", "0")
        terms: list[_Node] | None = None
        free = True
        for kid in kids:
            if kid.op == op:
                # An absorbed chain is used nowhere else, so its list is taken over:
                # a long chain is then built in linear time.
                if terms is None:
                    terms = kid.kids
                else:
                    terms.extend(kid.kids)
            else:
                self.finish(kid)
                if kid.op == absorbing:
                    return self.constant(absorbing)
                if kid.op == neutral:
                    continue
                if terms is None:
                    terms = [kid]
                else:
                    terms.append(kid)
            free = free and kid.free
        if not terms:
            return self.constant(neutral)
        if len(terms) == 1:
            return terms[0]
        return _Node(op, terms, free, _RANK_COMPOUND)


def _emit(root: _Node, rename: Callable[[str], str]) -> list[str]:
    """Prefix node names of a finished tree; chains become left-nested binary nodes."""
    names: list[str] = []
    pending = [root]
    while pending:
        item = pending.pop()
        if item.op in _CHAINS:
            names.extend([item.op] * (len(item.kids) - 1))
        elif item.rank == _RANK_REFERENCE:
            names.append(rename(item.op))
            continue
        else:
            names.append(item.op)
        pending.extend(reversed(item.kids))
    return names


def _build(names: list[str], builder: _Builder) -> _Node:
    from genome.primitives import node

    return builder.finish(fold([node(n) for n in names], builder.combine))


_Slots = list[tuple[str, SlotKind, list[str]]]


def _simplify(slots: _Slots) -> _Slots:
    """Fold constants, drop dead slots and inline single-use intermediates, to a fixpoint."""
    same_name = _Builder(lambda reference: reference, fold_equal=True)
    for _ in range(len(slots) * 4 + 8):
        slots = [(n, k, _emit(_build(t, same_name), str)) for n, k, t in slots]
        slots = [(s.name, s.kind, list(s.node_names))
                 for s in Genome(Slot(*item) for item in slots).without_dead_slots().slots]
        inlined = _inline_single_use(slots)
        if inlined == slots:
            return slots
        slots = inlined
    return slots


def _inline_single_use(slots: _Slots) -> _Slots:
    counts: dict[str, int] = {}
    for _, _, tree in slots:
        for name in tree:
            counts[name] = counts.get(name, 0) + 1
    trees = {name: list(tree) for name, _, tree in slots}
    kinds = {name: kind for name, kind, _ in slots}
    removed = set()
    for name, kind, _ in slots:
        if kind is not SlotKind.INTERMEDIATE or counts.get(name) != 1:
            continue
        for reader, reader_tree in trees.items():
            if reader in removed or reader == name or name not in reader_tree:
                continue
            position = reader_tree.index(name)
            reader_tree[position : position + 1] = trees[name]
            removed.add(name)
            break
    return [(n, kinds[n], trees[n]) for n, _, _ in slots if n not in removed]


def canonical(genome: Genome) -> Genome:
    """The canonical form of ``genome``.

    Args:
        genome: any genome.

    Returns:
        An equivalent genome in canonical form; ``canonical(canonical(g)) ==
        canonical(g)``, and genomes that differ only by operand order, slot
        names, slot order, dead slots or the rewrites above have equal
        canonical forms.

    Example:
        >>> a = Genome.parse("h' = tanh(W x + U h + b)")
        >>> b = Genome.parse("h' = tanh(b + U h + W x)")
        >>> str(canonical(a)) == str(canonical(b))
        True
    """
    slots = _simplify([(s.name, s.kind, list(s.node_names)) for s in genome.slots])
    kinds = {name: kind for name, kind, _ in slots}
    states = [name for name, kind, _ in slots if kind is SlotKind.STATE]
    labels = {name: "h" if name == OUTPUT else "state" for name in states}
    roots: dict[str, _Node] = {}
    for _ in range(len(states) + 1):
        roots = _key_slots(slots, labels, {})
        refined = {name: _digest(labels[name] + roots[name].key) for name in states}
        settled = len(set(refined.values())) == len(set(labels.values()))
        labels = refined
        if settled:
            break
    roots = _key_slots(slots, labels, {})
    # Slots whose trees look alike may still play different roles (LSTM's i and f
    # are read differently by c'). Each way of telling them apart is tried, and the
    # smallest text wins, so the result cannot depend on the order they came in.
    classes: dict[str, list[str]] = {}
    for name in roots:
        if name != OUTPUT:
            key = labels[name] if name in labels else roots[name].key
            classes.setdefault(key, []).append(name)
    ties = [members for members in classes.values() if len(members) > 1]
    if not ties or math.prod(math.factorial(len(m)) for m in ties) > _MAX_TIE_ORDERS:
        return _rename(roots, kinds)
    best: Genome | None = None
    for orders in itertools.product(*(itertools.permutations(m) for m in ties)):
        tie = {name: str(rank) for order in orders for rank, name in enumerate(order)}
        candidate = _rename(_key_slots(slots, labels, tie), kinds)
        if best is None or str(candidate) < str(best):
            best = candidate
    assert best is not None
    return best


def _key_slots(slots: _Slots, labels: dict[str, str], tie: dict[str, str]) -> dict[str, _Node]:
    keys: dict[str, str] = {}

    def label(reference: str) -> str:
        name = reference.rstrip("'")
        rank = "#" + tie.get(name, "")
        if reference.endswith("'"):
            return "new:" + labels[name] + rank
        if reference in labels:
            return "old:" + labels[reference] + rank
        return "slot:" + keys[reference] + rank

    builder = _Builder(label, fold_equal=False)
    roots = {}
    for name, _, tree in slots:
        roots[name] = _build(tree, builder)
        keys[name] = roots[name].key
    return roots


def _rename(roots: dict[str, _Node], kinds: dict[str, SlotKind]) -> Genome:
    names: dict[str, str] = {OUTPUT: OUTPUT}
    order: list[str] = []
    state_queue: list[str] = []

    def name_of(slot: str) -> str:
        if slot not in names:
            if kinds[slot] is SlotKind.STATE:
                count = sum(1 for s in names if kinds.get(s) is SlotKind.STATE)
                names[slot] = "c" if count == 1 else f"c{count}"
                state_queue.append(slot)
            else:
                count = sum(1 for s in names if kinds.get(s) is SlotKind.INTERMEDIATE)
                names[slot] = f"g{count + 1}"
        return names[slot]

    def rename(reference: str) -> str:
        new = reference.endswith("'")
        renamed = name_of(reference.rstrip("'"))
        return renamed + "'" if new else renamed

    trees: dict[str, list[str] | None] = {}

    def visit(slot: str) -> None:
        if slot in trees:
            return
        trees[slot] = None
        read: list[str] = []

        def record(reference: str) -> str:
            read.append(reference)
            return rename(reference)

        tree = _emit(roots[slot], record)
        for reference in read:
            source = reference.rstrip("'")
            if reference.endswith("'") or kinds[source] is SlotKind.INTERMEDIATE:
                visit(source)
        trees[slot] = tree
        order.append(slot)

    visit(OUTPUT)
    while len(order) < len(roots):
        visit(next(s for s in state_queue if s not in trees))
    return Genome(Slot(names[s], kinds[s], trees[s]) for s in order)
