"""How a genome *runs*: Keras 3 layers compiled from genomes.

Importing this package registers :class:`GenomeCell` and :class:`GenomeRNN`
for Keras serialization, so a ``.keras`` file that uses them loads with
``keras.saving.load_model(path)`` and no ``custom_objects``.
"""

import os

# TensorFlow's C++ start-up chatter hides our own messages; users can still override it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from cells._program import Program, compile_genome
from cells.cell import GenomeCell
from cells.rnn import GenomeRNN

__all__ = ["GenomeCell", "GenomeRNN", "Program", "compile_genome"]
