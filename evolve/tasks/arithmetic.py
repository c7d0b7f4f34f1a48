"""Arithmetic: add or subtract two numbers read character by character among distractors."""

from __future__ import annotations

import numpy as np

from evolve.tasks._base import Metric, Split, Task

PAD = 0
DIGITS = "0123456789"
CHARACTERS = DIGITS + "+-=$"  # '$' ends the answer
END = 1 + CHARACTERS.index("$")
EQUALS = 1 + CHARACTERS.index("=")
DISTRACTORS = "abcdefghij"


def _code(character: str) -> int:
    if character in CHARACTERS:
        return 1 + CHARACTERS.index(character)
    return 1 + len(CHARACTERS) + DISTRACTORS.index(character)


class Arithmetic(Task):
    """Jozefowicz et al.'s arithmetic task.

    The model reads e.g. ``3e36d9-h1h39f94=`` (two numbers and an operator,
    with random distractor letters mixed in) and then predicts the result
    character by character, ending with ``$``; it is fed the true previous
    answer character (teacher forcing). Headline metric: per-character
    accuracy on the answer; ``exact_match`` counts answers right in full.

    Args:
        digits: maximum digits of each operand.
        distractor_rate: expected distractors per operand character.

    Example:
        >>> task = Arithmetic(digits=2)
        >>> task.decode(task.split("test", 0, 1).inputs[0])[-1] in "$0123456789-"
        True
    """

    name = "arithmetic"
    metric = Metric("accuracy", higher_is_better=True)

    def __init__(self, digits: int = 3, distractor_rate: float = 0.5):
        whole = isinstance(digits, int) and not isinstance(digits, bool)
        rate_ok = isinstance(distractor_rate, int | float) and not isinstance(
            distractor_rate, bool) and 0 <= distractor_rate <= 4
        if not (whole and 1 <= digits <= 15 and rate_ok):
            raise ValueError(f"arithmetic needs 1 <= digits <= 15 and 0 <= distractor_rate <= 4, "
                             f"got digits={digits!r}, distractor_rate={distractor_rate!r}")
        self.digits = digits
        self.distractor_rate = distractor_rate

    @property
    def vocab_size(self) -> int:
        return 1 + len(CHARACTERS) + len(DISTRACTORS)

    def params(self) -> dict:
        return {"digits": self.digits, "distractor_rate": self.distractor_rate}

    @staticmethod
    def decode(tokens: np.ndarray) -> str:
        alphabet = CHARACTERS + DISTRACTORS
        return "".join(alphabet[t - 1] for t in tokens if t != PAD)

    def problems(self, which: str, seed: int, count: int) -> list[tuple[int, str, int]]:
        """The raw problems ``(a, op, b)`` of a split, in order."""
        return self._problems(which, seed, count)[0]

    def _problems(self, which: str, seed: int, count: int
                  ) -> tuple[list[tuple[int, str, int]], np.random.Generator]:
        rng = self._rng(which, seed)
        high = 10 ** self.digits
        a = rng.integers(0, high, size=count)
        b = rng.integers(0, high, size=count)
        ops = rng.choice(["+", "-"], size=count)
        return [(int(x), str(o), int(y)) for x, o, y in zip(a, ops, b, strict=True)], rng

    def split(self, which: str, seed: int, sequences: int) -> Split:
        problems, rng = self._problems(which, seed, sequences)
        rows = []
        for a, op, b in problems:
            question = []
            for character in f"{a}{op}{b}":
                question.append(character)
                while rng.random() < self.distractor_rate / (1 + self.distractor_rate):
                    question.append(DISTRACTORS[rng.integers(len(DISTRACTORS))])
            answer = str(a + b if op == "+" else a - b) + "$"
            rows.append(([_code(c) for c in question] + [EQUALS], [_code(c) for c in answer]))
        width = max(len(q) + len(ans) for q, ans in rows)
        inputs = np.full((sequences, width), PAD, dtype=np.int32)
        targets = np.full((sequences, width), PAD, dtype=np.int32)
        weights = np.zeros((sequences, width), dtype=np.float32)
        for row, (question, answer) in enumerate(rows):
            # Read the question and '=', then each answer character but the last:
            # position i predicts answer character i.
            sequence = question + answer[:-1]
            inputs[row, : len(sequence)] = sequence
            start = len(question) - 1
            targets[row, start : start + len(answer)] = answer
            weights[row, start : start + len(answer)] = 1.0
        return Split(inputs, targets, weights)

    def extra_metrics(self, split: Split, predictions: np.ndarray) -> dict[str, float]:
        wrong = (predictions != split.targets) & (split.weights > 0)
        return {"exact_match": float(np.mean(~wrong.any(axis=1)))}
