"""The campaign's own error (its own module: the executors raise it too)."""

from __future__ import annotations

__all__ = ["CampaignError"]


class CampaignError(RuntimeError):
    """A campaign that cannot go on (its reference failed, a config conflict...)."""
