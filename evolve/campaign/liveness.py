"""Whether a campaign's coordinator is still alive: its heartbeat in the campaign's stats.

A coordinator that is killed (``kill -9``, a lost machine) cannot mark its
campaign stopped, so the status alone would say ``running`` forever. While it
runs, the coordinator writes ``heartbeat_at`` (UTC, ISO 8601) into the
campaign's stats every ``heartbeat_every`` seconds; a running campaign whose
heartbeat is older than :func:`stale_after` seconds has lost its coordinator.
Campaigns written without a heartbeat (older versions, reports) are never
called stale.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from evolve.store import CampaignRecord, CampaignStatus, Store

__all__ = [
    "HEARTBEAT_AT",
    "HEARTBEAT_EVERY",
    "Heartbeat",
    "coordinator_silence",
    "heartbeat_stats",
    "is_serving",
    "serving",
    "stale_after",
]

HEARTBEAT_AT = "heartbeat_at"
HEARTBEAT_EVERY = "heartbeat_every"


def _now() -> datetime:
    return datetime.now(UTC)


def heartbeat_stats(every: float) -> dict[str, Any]:
    """The stats entries of a heartbeat written now."""
    return {HEARTBEAT_AT: _now().isoformat(), HEARTBEAT_EVERY: every}


def stale_after(every: float) -> float:
    """Seconds of silence after which a coordinator beating every ``every`` s is dead.

    Generous, because the clocks of the coordinator and of the reader may differ.
    """
    return max(120.0, 12.0 * every)


def coordinator_silence(record: CampaignRecord, now: datetime | None = None) -> float | None:
    """Seconds since a running campaign's coordinator last beat, if that is too long.

    Returns:
        None when the campaign is not running, has no heartbeat, or beat recently.
    """
    if record.status is not CampaignStatus.RUNNING:
        return None
    stats: Mapping[str, Any] = record.stats or {}
    beat, every = stats.get(HEARTBEAT_AT), stats.get(HEARTBEAT_EVERY)
    if not isinstance(beat, str) or not isinstance(every, int | float):
        return None
    try:
        last = datetime.fromisoformat(beat)
    except ValueError:
        return None
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    silence = ((now or _now()) - last).total_seconds()
    return silence if silence > stale_after(float(every)) else None


def is_serving(record: CampaignRecord) -> bool:
    """Whether workers should serve the campaign: it runs and its coordinator is alive."""
    return record.status is CampaignStatus.RUNNING and coordinator_silence(record) is None


def serving(store: Store, campaign: str | int) -> bool:
    """:func:`is_serving` of the stored campaign."""
    return is_serving(store.campaign(campaign))


class Heartbeat:
    """Calls ``beat`` every ``every`` seconds on a thread, until stopped.

    A thread, because an inline campaign spends minutes inside one evaluation.
    """

    def __init__(self, beat: Callable[[], None], every: float):
        self.beat = beat
        self.every = every
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="coordinator-heartbeat",
                                       daemon=True)

    def _run(self) -> None:
        while not self.done.wait(self.every):
            with contextlib.suppress(Exception):  # a missed beat is harmless; silence counts
                self.beat()

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.done.set()
        if self.thread.is_alive():
            self.thread.join(timeout=30)
