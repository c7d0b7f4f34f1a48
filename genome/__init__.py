"""What a recurrent cell *is*: typed expression-tree genomes, their notation and identity."""

from genome import seeds
from genome.canonical import canonical
from genome.core import HARD_LIMITS, Genome, Limits, Slot, SlotKind
from genome.errors import GenomeError, NotationError
from genome.generate import random_genome, random_tree
from genome.latex import to_latex
from genome.notation import parse
from genome.params import param_count, parameter_shapes
from genome.primitives import primitive_set
from genome.serialize import from_json, to_json
from genome.types import Hidden, Input

__all__ = [
    "HARD_LIMITS",
    "Genome",
    "GenomeError",
    "Hidden",
    "Input",
    "Limits",
    "NotationError",
    "Slot",
    "SlotKind",
    "canonical",
    "from_json",
    "param_count",
    "parameter_shapes",
    "parse",
    "primitive_set",
    "random_genome",
    "random_tree",
    "seeds",
    "to_json",
    "to_latex",
]
