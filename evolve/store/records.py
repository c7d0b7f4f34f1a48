"""Plain values returned by :class:`evolve.store.Store`.

Every record is a frozen dataclass detached from any database session: it can be
kept, pickled and sent to another process.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import genome as genome_pkg

__all__ = [
    "Added",
    "CampaignRecord",
    "CampaignStatus",
    "EvaluationKey",
    "EvaluationRecord",
    "EvaluationStatus",
    "GenomeRecord",
    "Lineage",
    "LineageEdge",
    "MemberRecord",
    "NewEvaluation",
    "Origin",
    "RankedGenome",
]


class EvaluationStatus(enum.StrEnum):
    """Where an evaluation stands. ``pending`` and ``running`` are open; the rest are final."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DIVERGED = "diverged"
    TIMEOUT = "timeout"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        """Whether the evaluation has a result that is never overwritten."""
        return self not in (EvaluationStatus.PENDING, EvaluationStatus.RUNNING)


class Origin(enum.StrEnum):
    """How a genome entered a campaign."""

    SEED = "seed"
    MUTATION = "mutation"
    CROSSOVER = "crossover"
    RANDOM = "random"


class CampaignStatus(enum.StrEnum):
    """The life cycle of a campaign."""

    CREATED = "created"
    RUNNING = "running"
    STOPPED = "stopped"
    FINISHED = "finished"
    FAILED = "failed"


class EvaluationKey(NamedTuple):
    """What identifies an evaluation: one genome, one task, one protocol, one seed.

    ``genome`` is a full genome hash (or a :class:`genome.Genome`, whose hash is used).
    """

    genome: Any
    task: str
    protocol_hash: str
    seed: int


@dataclass(frozen=True)
class NewEvaluation:
    """An evaluation to add, optionally with its result already known (imports, baselines).

    Args:
        genome: full hash of a stored genome, or a :class:`genome.Genome`.
        task: task name, e.g. ``"copy"``.
        protocol_hash: hash of the training protocol (budget, data, hyper-parameters).
        seed: the training seed.
        status: ``pending`` (the default) or a final status with its result.
        score: higher is better; required when ``status`` is ``done``.
        metrics: any JSON object.
        error: text explaining a ``failed``/``diverged``/``timeout`` result.

    Example:
        >>> NewEvaluation("ab" * 32, "copy", "p1", 0).status
        <EvaluationStatus.PENDING: 'pending'>
    """

    genome: Any
    task: str
    protocol_hash: str
    seed: int
    status: EvaluationStatus | str = EvaluationStatus.PENDING
    score: float | None = None
    metrics: dict[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True)
class Added:
    """What a batch insert did, in the order of its input.

    Attributes:
        ids: the id of every input item (created or already there), in input order.
        created: ids of the rows this call inserted.
        existing: ids of the rows that were already stored and left untouched.
    """

    ids: tuple[int, ...]
    created: tuple[int, ...]
    existing: tuple[int, ...]


@dataclass(frozen=True)
class CampaignRecord:
    """A stored campaign."""

    id: int
    name: str
    config: dict[str, Any]
    seed: int
    status: CampaignStatus
    created_at: datetime
    updated_at: datetime
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GenomeRecord:
    """A stored genome.

    Attributes:
        id: database id.
        hash: SHA-256 of the canonical text (the identity).
        canonical: the canonical text.
        text: the notation of the genome as it was first stored (display form).
        data: :func:`genome.to_json` of the genome as it was first stored.
        size: node count; ``height``: deepest tree; ``n_slots``: number of slots.
    """

    id: int
    hash: str
    canonical: str
    text: str
    data: dict[str, Any] = field(repr=False)
    size: int
    height: int
    n_slots: int
    created_at: datetime

    @property
    def genome(self) -> genome_pkg.Genome:
        """The :class:`genome.Genome`, rebuilt from its JSON (nothing is evaluated)."""
        return genome_pkg.from_json(self.data)


@dataclass(frozen=True)
class EvaluationRecord:
    """A stored evaluation."""

    id: int
    genome_id: int
    genome_hash: str
    task: str
    protocol_hash: str
    seed: int
    status: EvaluationStatus
    score: float | None
    metrics: dict[str, Any] | None = field(repr=False)
    error: str | None
    worker: str | None
    attempts: int
    campaign_id: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None


@dataclass(frozen=True)
class MemberRecord:
    """A genome's membership of a campaign."""

    campaign_id: int
    genome_id: int
    genome_hash: str
    generation: int
    birth_order: int
    origin: Origin
    alive: bool
    score: float | None


@dataclass(frozen=True)
class LineageEdge:
    """One parent → child edge; ``depth`` counts generations from the genome asked about."""

    parent_id: int
    parent_hash: str
    child_id: int
    child_hash: str
    operator: str
    campaign: str | None
    depth: int = 1


@dataclass(frozen=True)
class Lineage:
    """A genome with the edges to its ancestors (``parents``) and descendants (``children``)."""

    genome_id: int
    genome_hash: str
    parents: tuple[LineageEdge, ...]
    children: tuple[LineageEdge, ...]


@dataclass(frozen=True)
class RankedGenome:
    """One row of :meth:`evolve.store.Store.best`.

    ``task``, ``evaluation_id``, ``protocol_hash`` and ``seed`` are set when the
    score comes from an evaluation, and ``None`` when it is a campaign's combined
    member score.
    """

    rank: int
    score: float
    genome_id: int
    hash: str
    text: str
    size: int
    task: str | None
    evaluation_id: int | None
    protocol_hash: str | None
    seed: int | None
    data: dict[str, Any] = field(repr=False)

    @property
    def genome(self) -> genome_pkg.Genome:
        """The :class:`genome.Genome`, rebuilt from its JSON (nothing is evaluated)."""
        return genome_pkg.from_json(self.data)
