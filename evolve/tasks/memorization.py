"""Memorization: read K symbols, then reproduce them after a delimiter."""

from __future__ import annotations

import numpy as np

from evolve.tasks._base import Metric, Split, Task

BLANK, DELIMITER, FIRST_SYMBOL = 0, 1, 2


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Memorization(Task):
    """Copy task, the cheap screen of Jozefowicz et al.

    A sequence is ``s1 ... sK <delimiter> _ ... _`` (K blanks); at the blanks
    the model must output ``s1 ... sK``. Headline metric: per-symbol accuracy
    on the reproduced part (chance is 1 / alphabet).

    Args:
        length: K, symbols to remember.
        alphabet: number of distinct symbols.

    Example:
        >>> split = Memorization(length=3, alphabet=4).split("train", seed=0, sequences=2)
        >>> split.inputs.shape
        (2, 7)
    """

    name = "memorization"
    metric = Metric("accuracy", higher_is_better=True)

    def __init__(self, length: int = 5, alphabet: int = 8):
        if not (_whole(length) and 1 <= length <= 1000 and _whole(alphabet)
                and 2 <= alphabet <= 1000):
            raise ValueError(f"memorization needs 1 <= length <= 1000 and 2 <= alphabet <= "
                             f"1000, got length={length!r}, alphabet={alphabet!r}")
        self.length = length
        self.alphabet = alphabet

    @property
    def vocab_size(self) -> int:
        return FIRST_SYMBOL + self.alphabet

    def params(self) -> dict:
        return {"length": self.length, "alphabet": self.alphabet}

    def split(self, which: str, seed: int, sequences: int) -> Split:
        rng = self._rng(which, seed)
        k = self.length
        symbols = rng.integers(FIRST_SYMBOL, FIRST_SYMBOL + self.alphabet, size=(sequences, k))
        inputs = np.full((sequences, 2 * k + 1), BLANK, dtype=np.int32)
        inputs[:, :k] = symbols
        inputs[:, k] = DELIMITER
        targets = np.zeros_like(inputs)
        targets[:, k + 1:] = symbols
        weights = np.zeros(inputs.shape, dtype=np.float32)
        weights[:, k + 1:] = 1.0
        return Split(inputs, targets, weights)
