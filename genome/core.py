"""The genome: an ordered list of named slots, each one expression tree."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

from deap import gp

from genome._format import format_tree
from genome._tree import check_complete, fold, height
from genome.errors import GenomeError
from genome.primitives import RESERVED_NAMES, Node, is_reference, node, reference_name
from genome.types import Hidden

__all__ = ["HARD_LIMITS", "Genome", "Limits", "Slot", "SlotKind"]

_SLOT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")
OUTPUT = "h"


class SlotKind(enum.StrEnum):
    """A state is carried from step to step; an intermediate lives for one step."""

    STATE = "state"
    INTERMEDIATE = "intermediate"


@dataclass(frozen=True)
class Limits:
    """Size limits a genome must respect to be evaluated.

    Args:
        max_height: deepest node of any slot's tree (a lone terminal has height 0).
        max_slot_size: nodes in any one tree.
        max_slots: slots in the genome.
        max_states: state slots in the genome (``h`` included).

    Example:
        >>> Limits(max_height=6).max_height
        6
    """

    max_height: int = 10
    max_slot_size: int = 80
    max_slots: int = 12
    max_states: int = 6


#: Limits that no genome may exceed, whatever the configuration: they keep
#: hostile or corrupt input from costing unbounded time or memory.
HARD_LIMITS = Limits(max_height=20_000, max_slot_size=20_000, max_slots=64, max_states=64)
_HARD_TOTAL_NODES = 20_000


class Slot:
    """One line of a genome: a name, its kind and its expression tree.

    Args:
        name: the slot's name (``h``, ``c``, ``z``...).
        kind: :attr:`SlotKind.STATE` or :attr:`SlotKind.INTERMEDIATE`.
        tree: the expression, as DEAP nodes or node names in prefix order.

    Example:
        >>> Slot("h", SlotKind.STATE, ["tanh", "W", "x"]).target
        "h'"
    """

    __slots__ = ("_height", "_names", "kind", "name", "nodes")

    def __init__(self, name: str, kind: SlotKind | str, tree: Iterable[Node | str]):
        # Every genome holding this slot (the cached seeds among them) shares it, so its
        # fields are written once here and never again: see __setattr__.
        nodes = tuple(_as_node(item) for item in tree)
        _set(self, "name", name)
        _set(self, "kind", SlotKind(kind))
        _set(self, "nodes", nodes)
        _set(self, "_names", tuple(item.name for item in nodes))
        _set(self, "_height", None)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Slot cannot be changed (tried to set {name!r}); build a new "
                             f"Slot and use Genome.replace")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a Slot cannot be changed (tried to delete {name!r})")

    def __reduce__(self):
        return Slot, (self.name, self.kind.value, self._names)

    @property
    def is_state(self) -> bool:
        return self.kind is SlotKind.STATE

    @property
    def target(self) -> str:
        """What the slot defines: ``c'`` for a state, ``z`` for an intermediate."""
        return reference_name(self.name, self.is_state)

    @property
    def tree(self) -> gp.PrimitiveTree:
        """A fresh DEAP tree of this slot (changing it leaves the genome alone)."""
        return gp.PrimitiveTree(self.nodes)

    @property
    def node_names(self) -> tuple[str, ...]:
        return self._names

    @property
    def height(self) -> int:
        if self._height is None:
            # Computed on demand: a slot may be malformed until a Genome checks it.
            _set(self, "_height", height(self.nodes))
        return self._height

    @property
    def size(self) -> int:
        return len(self.nodes)

    def references(self) -> list[str]:
        """Reference names this slot reads, in prefix order, repeats included."""
        return [item.name for item in self.nodes if is_reference(item)]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Slot):
            return NotImplemented
        return (self.name, self.kind, self._names) == (other.name, other.kind, other._names)

    def __hash__(self) -> int:
        return hash((self.name, self.kind, self._names))

    def __str__(self) -> str:
        return f"{self.target} = {format_tree(self.nodes)}"

    def __repr__(self) -> str:
        return f"Slot({self.name!r}, {self.kind.value!r}, {list(self._names)!r})"


class Genome:
    """A recurrent cell as an ordered list of slots.

    State slots are carried between steps: the tree of state ``c`` computes
    ``c'``, and every tree reads the previous value as ``c``. Intermediate
    slots are computed once per step; reading one shares its value and its
    weights. A tree may read ``x``, the previous value of every state and the
    new value of slots above it. The cell's output is ``h'``.

    A genome is immutable and hashable. :attr:`hash` is its identity: the
    SHA-256 of its canonical text.

    Args:
        slots: the slots in order.

    Raises:
        GenomeError: if the slots do not form a cell (no ``h``, a name read
            before it is defined, a type mismatch, a hard size limit).

    Example:
        >>> g = Genome.parse("h' = tanh(W x + U h + b)")
        >>> g.states
        ('h',)
    """

    __slots__ = ("_cache", "_slots")

    def __init__(self, slots: Iterable[Slot]):
        _set(self, "_slots", tuple(slots))
        # Derived values only (text, hash, live slots): filling it never changes the genome.
        _set(self, "_cache", {})
        self._check_structure()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Genome cannot be changed (tried to set {name!r}); "
                             f"Genome.replace returns a changed copy")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a Genome cannot be changed (tried to delete {name!r})")

    # -- construction -------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str) -> Genome:
        """Read a genome from its notation; see :func:`genome.parse`."""
        from genome.notation import parse

        return parse(text)

    @classmethod
    def from_json(cls, data: str | dict) -> Genome:
        """Read a genome from its JSON form; see :func:`genome.from_json`."""
        from genome.serialize import from_json

        return from_json(data)

    def replace(self, index: int, slot: Slot) -> Genome:
        """A new genome with slot ``index`` replaced."""
        slots = list(self._slots)
        slots[index] = slot
        return Genome(slots)

    # -- structure ------------------------------------------------------------------------

    @property
    def slots(self) -> tuple[Slot, ...]:
        return self._slots

    @property
    def states(self) -> tuple[str, ...]:
        """Names of the state slots, in slot order."""
        return tuple(s.name for s in self._slots if s.is_state)

    @property
    def intermediates(self) -> tuple[str, ...]:
        return tuple(s.name for s in self._slots if not s.is_state)

    @property
    def output(self) -> str:
        """The state whose new value is the cell's output: always ``h``."""
        return OUTPUT

    def slot(self, name: str) -> Slot:
        for candidate in self._slots:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    def index(self, name: str) -> int:
        for position, candidate in enumerate(self._slots):
            if candidate.name == name:
                return position
        raise KeyError(name)

    def readable(self, index: int) -> tuple[str, ...]:
        """Reference names the slot at ``index`` may read.

        The previous value of every state, then the new value of each slot above.
        """
        above = tuple(s.target for s in self._slots[:index])
        return self.states + above

    @property
    def height(self) -> int:
        """The height of the tallest tree."""
        return max(s.height for s in self._slots)

    @property
    def size(self) -> int:
        """Nodes in all trees together."""
        return sum(s.size for s in self._slots)

    @property
    def needs_square_input(self) -> bool:
        """Whether ``x`` is read as a hidden vector, so input width must equal units.

        Only live slots count: dead ones are never built, so they constrain nothing.
        """
        live = set(self.live_slots())
        return any("xh" in s.node_names for s in self._slots if s.name in live)

    def live_slots(self) -> tuple[str, ...]:
        """Names of the slots that ``h'`` depends on, at this step or a later one."""
        cached = self._cache.get("live")
        if cached is None:
            by_name = {s.name: s for s in self._slots}
            live = {OUTPUT}
            pending = [OUTPUT]
            while pending:
                for reference in by_name[pending.pop()].references():
                    name = reference.rstrip("'")
                    if name not in live:
                        live.add(name)
                        pending.append(name)
            cached = tuple(s.name for s in self._slots if s.name in live)
            self._cache["live"] = cached
        return cached  # type: ignore[return-value]

    def dead_slots(self) -> tuple[str, ...]:
        """Names of the slots nothing needs: the cell would compute them for nothing."""
        live = set(self.live_slots())
        return tuple(s.name for s in self._slots if s.name not in live)

    def without_dead_slots(self) -> Genome:
        """The same cell with its dead slots removed."""
        if not self.dead_slots():
            return self
        live = set(self.live_slots())
        return Genome(s for s in self._slots if s.name in live)

    def _check_structure(self) -> None:
        slots = self._slots
        if not slots:
            raise GenomeError("a genome needs at least one slot: h' = ...")
        for s in slots:
            if not isinstance(s, Slot):
                raise GenomeError(f"a genome is made of Slot objects, got {type(s).__name__}")
        if len(slots) > HARD_LIMITS.max_slots:
            raise GenomeError(f"{len(slots)} slots; at most {HARD_LIMITS.max_slots} are allowed")
        total = sum(s.size for s in slots)
        if total > _HARD_TOTAL_NODES:
            raise GenomeError(f"{total} nodes; at most {_HARD_TOTAL_NODES} are allowed")
        seen: set[str] = set()
        for s in slots:
            if not isinstance(s.name, str) or not _SLOT_NAME.fullmatch(s.name) or (
                    s.name in RESERVED_NAMES):
                raise GenomeError(
                    f"{s.name!r} cannot name a slot: use a letter followed by letters, digits "
                    f"or '_' (at most 32), other than {', '.join(sorted(RESERVED_NAMES))}"
                )
            if s.name in seen:
                raise GenomeError(f"slot {s.name!r} is defined twice")
            seen.add(s.name)
        states = {s.name for s in slots if s.is_state}
        if OUTPUT not in states:
            raise GenomeError("a genome needs the state slot h (the output): add a line h' = ...")
        defined_above: set[str] = set()
        for s in slots:
            try:
                check_complete(s.nodes)
                root_type = fold(s.nodes, _check_types)
            except GenomeError as error:
                raise GenomeError(f"slot {s.target}: {error}") from None
            if root_type is not Hidden:
                raise GenomeError(f"slot {s.target} must compute a hidden vector, not the input")
            for reference in s.references():
                _check_reference(s, reference, states, defined_above)
            defined_above.add(s.target)
        over = self._limit_problems(HARD_LIMITS)
        if over:
            raise GenomeError("over the hard limits: " + "; ".join(over))

    # -- validity against limits --------------------------------------------------------

    def problems(self, limits: Limits | None = None) -> list[str]:
        """Everything that keeps this genome from being evaluated under ``limits``.

        Args:
            limits: size limits; the defaults of :class:`Limits` when None.

        Returns:
            Human-readable problems; empty when the genome is valid.
        """
        limits = limits or Limits()
        found = self._limit_problems(limits)
        for name in self.dead_slots():
            found.append(f"slot {name} is never read: h' does not depend on it")
        return found

    def _limit_problems(self, limits: Limits) -> list[str]:
        found = []
        if len(self._slots) > limits.max_slots:
            found.append(f"{len(self._slots)} slots, over the limit of {limits.max_slots}")
        if len(self.states) > limits.max_states:
            found.append(f"{len(self.states)} states, over the limit of {limits.max_states}")
        for s in self._slots:
            if s.height > limits.max_height:
                found.append(f"slot {s.target} has height {s.height}, over {limits.max_height}")
            if s.size > limits.max_slot_size:
                found.append(f"slot {s.target} has {s.size} nodes, over {limits.max_slot_size}")
        return found

    def validate(self, limits: Limits | None = None) -> Genome:
        """Raise :class:`GenomeError` listing every problem; return the genome if none.

        Example:
            >>> Genome.parse("h' = tanh(W x + U h + b)").validate().states
            ('h',)
        """
        found = self.problems(limits)
        if found:
            raise GenomeError("invalid genome: " + "; ".join(found))
        return self

    # -- identity and forms ---------------------------------------------------------------

    def canonical(self) -> Genome:
        """The canonical form: see :func:`genome.canonical`."""
        cached = self._cache.get("canonical")
        if cached is None:
            from genome.canonical import canonical

            cached = canonical(self)
            self._cache["canonical"] = cached
        return cached  # type: ignore[return-value]

    @property
    def hash(self) -> str:
        """Hex SHA-256 of the canonical text: the genome's identity."""
        cached = self._cache.get("hash")
        if cached is None:
            import hashlib

            cached = hashlib.sha256(str(self.canonical()).encode()).hexdigest()
            self._cache["hash"] = cached
        return cached  # type: ignore[return-value]

    def to_json(self) -> dict:
        from genome.serialize import to_json

        return to_json(self)

    def to_latex(self) -> str:
        from genome.latex import to_latex

        return to_latex(self)

    def param_count(self, input_dim: int, units: int) -> int:
        from genome.params import param_count

        return param_count(self, input_dim, units)

    # -- dunder ---------------------------------------------------------------------------

    def __str__(self) -> str:
        text = self._cache.get("text")
        if text is None:
            text = "\n".join(str(s) for s in self._slots)
            self._cache["text"] = text
        return text  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"Genome.parse({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Genome):
            return NotImplemented
        return self._slots == other._slots

    def __hash__(self) -> int:
        return hash(self._slots)

    def __reduce__(self):
        # Unpickling goes through the constructor, so a stored genome is checked again.
        return Genome, (self._slots,)


_set = object.__setattr__


def _as_node(item: Node | str) -> Node:
    # A node is known by its name: foreign DEAP nodes (from a primitive set) are swapped
    # for the shared vocabulary node, whose fields cannot be changed.
    if isinstance(item, str):
        return node(item)
    if isinstance(item, gp.Primitive | gp.Terminal):
        return node(item.name)
    raise GenomeError(f"a tree holds node names or DEAP nodes, got {type(item).__name__}")


def _check_types(item, child_types: list[type]) -> type:
    if item.arity:
        expected = tuple(item.args)
        if tuple(child_types) != expected:
            wanted = ", ".join(t.__name__ for t in expected)
            got = ", ".join(t.__name__ for t in child_types)
            raise GenomeError(f"{item.name} takes ({wanted}) but is given ({got})")
    return item.ret


def _check_reference(slot: Slot, reference: str, states: set[str], above: set[str]) -> None:
    if reference.endswith("'"):
        name = reference[:-1]
        if name not in states:
            raise GenomeError(
                f"slot {slot.target} reads {reference}, but {name} is not a state "
                f"(only states have a new value; read an intermediate as {name})"
            )
        if reference not in above:
            raise GenomeError(
                f"slot {slot.target} reads {reference}, which is not computed above it; "
                f"move {reference} above or read the previous value {name}"
            )
    elif reference not in states and reference not in above:
        readable = sorted(states | above)
        raise GenomeError(
            f"slot {slot.target} reads {reference}, which is not defined above it "
            f"(it may read x, {', '.join(readable)})"
        )

