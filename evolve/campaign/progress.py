"""A one-line progress display for a terminal, or periodic lines for a log."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Shows evaluations done / expected, best score, rate, duplicates and failures.

    On a terminal the line is redrawn in place; otherwise a line is written at
    most every ``log_every`` seconds, so a log file stays readable.
    """

    def __init__(self, stream: TextIO | None = None, enabled: bool = True,
                 log_every: float = 30.0):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.log_every = log_every
        self.started = time.monotonic()
        self.last = 0.0
        self.width = 0

    def update(self, *, done: int, total: int, members: int, budget: int, best: float | None,
               duplicates: int, failures: int, generation: int, new: int | None = None,
               force: bool = False) -> None:
        """Redraw; ``new`` counts the evaluations finished since this run began (the rate)."""
        if not self.enabled:
            return
        now = time.monotonic()
        if not self.tty and not force and now - self.last < self.log_every:
            return
        self.last = now
        minutes = max((now - self.started) / 60.0, 1e-9)
        filled = int(20 * min(members, budget) / max(budget, 1))
        bar = "#" * filled + "-" * (20 - filled)
        best_text = "-" if best is None else f"{best:.3f}"
        line = (f"[{bar}] {members}/{budget} candidates | gen {generation} | evals "
                f"{done}/{total} | best {best_text} | "
                f"{(done if new is None else new) / minutes:.1f} evals/min | "
                f"dups {duplicates} | failures {failures}")
        if self.tty:
            padding = " " * max(0, self.width - len(line))
            self.stream.write("\r" + line + padding)
            self.width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        if not self.enabled:
            return
        if self.tty and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.width = 0
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty and self.width:
            self.stream.write("\n")
            self.stream.flush()
            self.width = 0
