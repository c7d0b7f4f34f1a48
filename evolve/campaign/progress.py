"""A one-line progress display for a terminal, or periodic lines for a log."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress", "StatusLine", "bar"]


def bar(done: int, total: int, width: int = 20) -> str:
    """``[#####-----]``: how much of ``total`` is done."""
    filled = int(width * min(done, total) / max(total, 1))
    return "[" + "#" * filled + "-" * (width - filled) + "]"


class StatusLine:
    """Where a progress line goes: redrawn in place on a terminal, else a line per period.

    On a terminal every :meth:`show` redraws; otherwise a line is written at
    most every ``log_every`` seconds (or when forced), so a log file stays
    readable over a days-long run.
    """

    def __init__(self, stream: TextIO | None = None, enabled: bool = True,
                 log_every: float = 30.0):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.log_every = log_every
        self.started = time.monotonic()
        self.last = -float("inf")
        self.width = 0

    def due(self, force: bool = False) -> bool:
        """Whether a line would be shown now (saves building one that would not)."""
        if not self.enabled:
            return False
        return self.tty or force or time.monotonic() - self.last >= self.log_every

    def minutes(self) -> float:
        """Minutes since the display started (never zero, for rates)."""
        return max((time.monotonic() - self.started) / 60.0, 1e-9)

    def show(self, line: str, force: bool = False) -> None:
        if not self.due(force):
            return
        self.last = time.monotonic()
        if self.tty:
            self.stream.write("\r" + line + " " * max(0, self.width - len(line)))
            self.width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        """A line of its own, above the progress line."""
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


class Progress(StatusLine):
    """A campaign's line: candidates / budget, evaluations, best score, rate, duplicates,
    failures."""

    def update(self, *, done: int, total: int, members: int, budget: int, best: float | None,
               duplicates: int, failures: int, generation: int, new: int | None = None,
               force: bool = False) -> None:
        """Redraw; ``new`` counts the evaluations finished since this run began (the rate)."""
        if not self.due(force):
            return
        best_text = "-" if best is None else f"{best:.3f}"
        rate = (done if new is None else new) / self.minutes()
        self.show(f"{bar(members, budget)} {members}/{budget} candidates | gen {generation} | "
                  f"evals {done}/{total} | best {best_text} | {rate:.1f} evals/min | "
                  f"dups {duplicates} | failures {failures}", force=True)
