"""What every operator needs to know besides its parents."""

from __future__ import annotations

from dataclasses import dataclass, field

from genome import Limits


class OperatorError(Exception):
    """An operator that cannot apply or produced an unusable child; ``reason`` is a short code."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class OperatorContext:
    """Limits and choices shared by all operators.

    Attributes:
        limits: size limits every child must respect.
        allow_square_input: whether children may read x as a hidden vector
            (only when the model's input width equals its units).
        subtree_height: height of new random subtrees.
    """

    limits: Limits = field(default_factory=lambda: Limits(max_height=8, max_slot_size=40,
                                                          max_slots=8, max_states=3))
    allow_square_input: bool = True
    subtree_height: int = 3
