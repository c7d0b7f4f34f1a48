"""The two value types a cell computes with.

DEAP's strongly typed GP matches argument and return types with
``issubclass``, so each type is a plain marker class.
"""

__all__ = ["Hidden", "Input"]


class Input:
    """The cell's input at one step, ``x``: a vector of width D."""


class Hidden:
    """Any vector of the hidden width H: states, gates, candidates."""
