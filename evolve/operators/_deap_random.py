"""Run DEAP's operators on our own random stream.

DEAP's operators draw from the global ``random`` module. Each call here
seeds it from the caller's ``random.Random`` and restores the global state
afterwards, so results are reproducible and nothing else sees the change.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator


@contextlib.contextmanager
def deap_random(rng: random.Random) -> Iterator[None]:
    saved = random.getstate()
    random.seed(rng.getrandbits(64))
    try:
        yield
    finally:
        random.setstate(saved)
