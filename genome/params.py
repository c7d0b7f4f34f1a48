"""Parameter counts, read off the genome without building anything."""

from __future__ import annotations

from typing import TYPE_CHECKING

from genome.errors import GenomeError
from genome.primitives import bias_value

if TYPE_CHECKING:
    from genome.core import Genome

__all__ = ["param_count", "parameter_shapes"]


def parameter_shapes(
    genome: Genome, input_dim: int, units: int
) -> list[tuple[str, tuple[int, ...]]]:
    """Every parameter of the cell as ``(slot:kind, shape)``, in build order.

    Only the slots that ``h'`` depends on are built, so only they count.

    Args:
        genome: the cell.
        input_dim: width D of the input x.
        units: width H of the hidden vectors.

    Returns:
        One entry per ``W``, ``U``, ``R``, ``p`` and bias node.

    Raises:
        GenomeError: when the genome reads x as a hidden vector and D != H,
            or when a width is not positive.
    """
    if input_dim < 1 or units < 1:
        raise GenomeError(f"widths must be positive, got input_dim={input_dim}, units={units}")
    if genome.needs_square_input and input_dim != units:
        raise GenomeError(
            f"this genome reads x where a hidden vector is expected, so the input width "
            f"({input_dim}) must equal units ({units}); embed or project the input to {units} first"
        )
    live = set(genome.live_slots())
    shapes = []
    for slot in genome.slots:
        if slot.name not in live:
            continue
        for name in slot.node_names:
            if name == "W":
                shapes.append((f"{slot.name}:W", (input_dim, units)))
            elif name in ("U", "R"):
                shapes.append((f"{slot.name}:{name}", (units, units)))
            elif name == "p":
                shapes.append((f"{slot.name}:p", (units,)))
            elif bias_value(name) is not None:
                shapes.append((f"{slot.name}:b", (units,)))
    return shapes


def param_count(genome: Genome, input_dim: int, units: int) -> int:
    """Number of trainable parameters of the cell at input width D and units H.

    Example:
        >>> from genome import parse
        >>> param_count(parse("h' = tanh(W x + U h + b)"), 3, 4)
        32
    """
    total = 0
    for _, shape in parameter_shapes(genome, input_dim, units):
        size = 1
        for dim in shape:
            size *= dim
        total += size
    return total
