"""Run DEAP's operators on our own random stream.

DEAP's GP operators draw from the ``random`` module they imported. For the
duration of a call, that module attribute of ``deap.gp`` is pointed at the
caller's ``random.Random``: the operators become reproducible, and nothing
else in the process (other threads included) draws from, or reseeds, the
global random state.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Iterator

from deap import gp

_LOCK = threading.Lock()


@contextlib.contextmanager
def deap_random(rng: random.Random) -> Iterator[None]:
    with _LOCK:
        original = gp.random
        gp.random = rng
        try:
            yield
        finally:
            gp.random = original
