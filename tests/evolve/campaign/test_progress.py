"""The progress lines: what they show, and how often they write to a log."""

from __future__ import annotations

import io

from evolve.campaign import Progress
from evolve.report import ReportProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_campaign_line_shows_every_count():
    log = io.StringIO()
    progress = Progress(log)
    progress.update(done=12, total=20, members=6, budget=10, best=1.234, duplicates=3,
                    failures=2, generation=1, new=12)
    line = log.getvalue().strip()
    assert line.startswith("[############--------] 6/10 candidates | gen 1 | evals 12/20")
    assert "best 1.234" in line and "dups 3" in line and "failures 2" in line
    assert "evals/min" in line


def test_a_log_gets_a_line_per_period_unless_forced():
    log = io.StringIO()
    progress = ReportProgress(log, log_every=3600)
    progress.update(1, 10, 1, 0)
    progress.update(2, 10, 2, 0)  # within the period: not written
    progress.update(10, 10, 10, 1, force=True)
    lines = log.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("[##------------------] 1/10 evaluations")
    assert "min left" in lines[0]
    assert lines[1].startswith("[####################] 10/10 evaluations")
    assert "failures 1" in lines[1] and "min left" not in lines[1]


def test_a_terminal_line_is_redrawn_in_place_and_messages_go_above_it():
    screen = Terminal()
    progress = ReportProgress(screen)
    progress.update(1, 4, 1, 0)
    progress.update(2, 4, 2, 0)
    progress.message("a note")
    progress.close()
    text = screen.getvalue()
    assert text.count("\r[") == 2
    # The message first blanks the progress line, then takes a line of its own. (A
    # redraw pads to cover a longer line before it: those spaces need no blanking.)
    width = len(text.split("\r")[2].rstrip(" "))
    assert "\r" + " " * width + "\ra note\n" in text
    assert ReportProgress(io.StringIO(), enabled=False).due(force=True) is False
