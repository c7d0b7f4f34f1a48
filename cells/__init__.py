"""How a genome *runs*: Keras 3 layers compiled from genomes.

Importing this package registers :class:`GenomeCell` and :class:`GenomeRNN`
for Keras serialization, so a ``.keras`` file that uses them loads with
``keras.saving.load_model(path)`` and no ``custom_objects``.
"""

from cells._tf import import_tensorflow

import_tensorflow()

from cells.cell import GenomeCell  # noqa: E402
from cells.rnn import SMALL_STEP_UNITS, GenomeRNN  # noqa: E402
from genome.program import Program, compile_genome  # noqa: E402

__all__ = ["SMALL_STEP_UNITS", "GenomeCell", "GenomeRNN", "Program", "compile_genome"]
