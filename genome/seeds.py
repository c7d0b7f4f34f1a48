"""The seed library: every named cell of the literature as a genome.

Example:
    >>> from genome import seeds
    >>> seeds.get("gru").states
    ('h',)
    >>> len(seeds.names())
    20
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from genome.core import Genome
from genome.notation import parse

__all__ = ["Seed", "all_seeds", "get", "info", "names"]

_GREFF = "Greff et al. 2017, LSTM: A Search Space Odyssey (IEEE TNNLS)"
_JOZEFOWICZ = ("Jozefowicz, Zaremba & Sutskever 2015, An Empirical Exploration of "
               "Recurrent Network Architectures (ICML)")


@dataclass(frozen=True)
class Seed:
    """A named cell of the literature.

    Attributes:
        name: the library name (``gru``).
        text: the genome in notation.
        citation: where the cell comes from.
        summary: one line on what the cell is.
    """

    name: str
    text: str
    citation: str
    summary: str

    @property
    def genome(self) -> Genome:
        return get(self.name)


_LSTM_LINES = {
    "g": "g = tanh(W x + U h + b)",
    "i": "i = sigmoid(W x + U h + p * c + b)",
    "f": "f = sigmoid(W x + U h + p * c + b)",
    "c": "c' = g * i + c * f",
    "o": "o = sigmoid(W x + U h + p * c' + b)",
    "h": "h' = o * tanh(c')",
}


def _lstm(**changes: str | None) -> str:
    """Greff's vanilla LSTM with some lines replaced (None removes a line)."""
    lines = dict(_LSTM_LINES, **changes)
    return "\n".join(line for line in lines.values() if line is not None)


_SEEDS = [
    Seed("rnn", "h' = tanh(W x + U h + b)", "Elman 1990, Finding Structure in Time",
         "vanilla (Elman) RNN"),
    Seed("gru", """
z = sigmoid(W x + U h + b)
r = sigmoid(W x + U h + b)
h' = z * h + (1 - z) * tanh(W x + U(r * h) + b)""",
         "Cho et al. 2014, Learning Phrase Representations using RNN Encoder-Decoder",
         "gated recurrent unit, reset applied before the matmul (Keras reset_after=False)"),
    Seed("lstm", _lstm(), _GREFF, "vanilla LSTM: peepholes, forget gate, output activation"),
    Seed("nig", _lstm(i=None, c="c' = g + c * f"), _GREFF, "LSTM without input gate (i = 1)"),
    Seed("nfg", _lstm(f=None, c="c' = g * i + c"), _GREFF, "LSTM without forget gate (f = 1)"),
    Seed("nog", _lstm(o=None, h="h' = tanh(c')"), _GREFF, "LSTM without output gate (o = 1)"),
    Seed("niaf", _lstm(g="g = W x + U h + b"), _GREFF,
         "LSTM without input activation function"),
    Seed("noaf", _lstm(h="h' = o * c'"), _GREFF, "LSTM without output activation function"),
    Seed("np", _lstm(i="i = sigmoid(W x + U h + b)", f="f = sigmoid(W x + U h + b)",
                     o="o = sigmoid(W x + U h + b)"), _GREFF, "LSTM without peepholes"),
    Seed("cifg", _lstm(f="f = 1 - i"), _GREFF, "LSTM with coupled input and forget gate"),
    Seed("fgr", """
g = tanh(W x + U h + b)
i' = sigmoid(W x + U h + p * c + R i + R f + R o + b)
f' = sigmoid(W x + U h + p * c + R i + R f + R o + b)
c' = g * i' + c * f'
o' = sigmoid(W x + U h + p * c' + R i + R f + R o + b)
h' = o' * tanh(c')""", _GREFF,
         "LSTM with full gate recurrence: gates are states and read all gates of the last step"),
    Seed("lstm_b", _lstm(i="i = sigmoid(W x + U h + b)", f="f = sigmoid(W x + U h + b(1))",
                         o="o = sigmoid(W x + U h + b)"), _JOZEFOWICZ,
         "LSTM without peepholes, forget-gate bias 1 (keras.layers.LSTM)"),
    Seed("mut1", """
z = sigmoid(W x + b)
r = sigmoid(W x + U h + b)
h' = tanh(U(r * h) + tanh(x) + b) * z + h * (1 - z)""", _JOZEFOWICZ,
         "MUT1, found by evolution (needs input width == units)"),
    Seed("mut2", """
z = sigmoid(W x + U h + b)
r = sigmoid(x + U h + b)
h' = tanh(U(r * h) + W x + b) * z + h * (1 - z)""", _JOZEFOWICZ,
         "MUT2, found by evolution (needs input width == units)"),
    Seed("mut3", """
z = sigmoid(W x + U tanh(h) + b)
r = sigmoid(W x + U h + b)
h' = tanh(U(r * h) + W x + b) * z + h * (1 - z)""", _JOZEFOWICZ, "MUT3, found by evolution"),
    Seed("mgu", """
f = sigmoid(W x + U h + b)
h' = (1 - f) * h + f * tanh(W x + U(f * h) + b)""",
         "Zhou et al. 2016, Minimal Gated Unit for Recurrent Neural Networks",
         "minimal gated unit: one gate for forgetting and resetting"),
    Seed("ugrnn", """
g = sigmoid(W x + U h + b)
h' = g * h + (1 - g) * tanh(W x + U h + b)""",
         "Collins et al. 2017, Capacity and Trainability in Recurrent Neural Networks",
         "update-gate RNN"),
    Seed("indrnn", "h' = relu(W x + p * h + b)",
         "Li et al. 2018, Independently Recurrent Neural Network (IndRNN)",
         "independently recurrent: a diagonal recurrence and ReLU"),
    Seed("sru", """
f = sigmoid(W x + b)
r = sigmoid(W x + b)
c' = f * c + (1 - f) * W x
h' = r * tanh(c') + (1 - r) * x""",
         "Lei et al. 2018, Simple Recurrent Units for Highly Parallelizable Recurrence",
         "simple recurrent unit: no matmul on the state (needs input width == units)"),
    Seed("mingru", """
z = sigmoid(W x + b)
h' = (1 - z) * h + z * (W x + b)""", "Feng et al. 2024, Were RNNs All We Needed?",
         "minimal GRU: gates read only the input, so it can be computed by a parallel scan"),
]
_BY_NAME = {seed.name: seed for seed in _SEEDS}


def names() -> list[str]:
    """Names of all seeds, in library order."""
    return [seed.name for seed in _SEEDS]


def info(name: str) -> Seed:
    """The seed called ``name``.

    Raises:
        KeyError: naming the seeds that exist.
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no seed named {name!r}; the seeds are: {', '.join(names())}") from None


@functools.cache
def get(name: str) -> Genome:
    """The genome of the seed called ``name``."""
    return parse(info(name).text.strip())


def all_seeds() -> dict[str, Genome]:
    """Every seed genome by name."""
    return {name: get(name) for name in names()}
