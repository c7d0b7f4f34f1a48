"""Synthetic XML: next-character prediction of random nested tags."""

from __future__ import annotations

import math

import numpy as np

from evolve.tasks._base import Metric, Split, Task

PAD = 0
ALPHABET = "<>/abcdefghijklmnopqrstuvwxyz"


def _code(text: str) -> list[int]:
    return [1 + ALPHABET.index(c) for c in text]


class Xml(Task):
    """Jozefowicz et al.'s XML modelling task.

    Each sequence is a stream of elements: top-level elements with random
    tag names and nested children, ``<ab><c></c><dfe></dfe></ab><g></g>...``,
    one after another and cut at a fixed length (usually inside the last
    element); the model predicts the next character. Closing tags are predictable only by
    remembering which tags are open. Headline metric: bits per character;
    also ``closing_accuracy``, the accuracy on characters inside closing tags
    after ``</``.

    Args:
        length: characters per sequence.
        max_depth: deepest nesting.
        name_length: longest tag name.

    Example:
        >>> Xml(length=40).text(Xml(length=40).split("test", 0, 1).inputs[0])[:1]
        '<'
    """

    name = "xml"
    metric = Metric("bpc", higher_is_better=False)
    language_model = True

    def __init__(self, length: int = 64, max_depth: int = 4, name_length: int = 3):
        values = (length, max_depth, name_length)
        if not (all(isinstance(v, int) and not isinstance(v, bool) for v in values)
                and 8 <= length <= 10_000 and 1 <= max_depth <= 8 and 1 <= name_length <= 8):
            raise ValueError(f"xml needs 8 <= length <= 10000, 1 <= max_depth <= 8 and "
                             f"1 <= name_length <= 8, got length={length!r}, "
                             f"max_depth={max_depth!r}, name_length={name_length!r}")
        self.length = length
        self.max_depth = max_depth
        self.name_length = name_length

    @property
    def vocab_size(self) -> int:
        return 1 + len(ALPHABET)

    def params(self) -> dict:
        return {"length": self.length, "max_depth": self.max_depth,
                "name_length": self.name_length}

    @staticmethod
    def text(tokens: np.ndarray) -> str:
        return "".join(ALPHABET[t - 1] for t in tokens if t != PAD)

    def document(self, rng: np.random.Generator) -> str:
        """Random top-level elements, concatenated until past ``length`` characters.

        A sequence is the first ``length + 1`` characters of this (its inputs
        and targets, one apart).
        """
        parts: list[str] = []
        while sum(map(len, parts)) <= self.length:
            parts.append(self._element(rng, 1))
        return "".join(parts)

    def _element(self, rng: np.random.Generator, depth: int) -> str:
        size = int(rng.integers(1, self.name_length + 1))
        name = "".join(ALPHABET[3 + i] for i in rng.integers(0, 26, size=size))
        children = 0 if depth >= self.max_depth else int(rng.integers(0, 3))
        inner = "".join(self._element(rng, depth + 1) for _ in range(children))
        return f"<{name}>{inner}</{name}>"

    def split(self, which: str, seed: int, sequences: int) -> Split:
        rng = self._rng(which, seed)
        tokens = np.zeros((sequences, self.length + 1), dtype=np.int32)
        for row in range(sequences):
            tokens[row] = _code(self.document(rng)[: self.length + 1])
        weights = np.ones((sequences, self.length), dtype=np.float32)
        return Split(tokens[:, :-1], tokens[:, 1:], weights)

    def extra_metrics(self, split: Split, predictions: np.ndarray) -> dict[str, float]:
        closing = _closing_positions(split.targets)
        if not closing.any():
            return {"closing_accuracy": math.nan}
        right = (predictions == split.targets) & closing
        return {"closing_accuracy": float(right.sum() / closing.sum())}


def _closing_positions(targets: np.ndarray) -> np.ndarray:
    """Targets that are a closing tag's name or its '>' (what memory can predict)."""
    slash, close = _code("/")[0], _code(">")[0]
    inside = np.zeros(targets.shape, dtype=bool)
    for row in range(targets.shape[0]):
        active = False
        for col in range(targets.shape[1]):
            token = targets[row, col]
            if active:
                inside[row, col] = True
                if token == close:
                    active = False
            elif token == slash:
                active = True
    return inside
