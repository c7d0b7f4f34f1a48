"""Storage of genomes, evaluations, campaigns and lineage (SQLAlchemy 2 + Alembic).

Example:
    >>> import genome
    >>> from evolve.store import Store
    >>> store = Store("sqlite:///runs.db")       # created at the newest schema
    >>> ids = store.add_genomes([genome.seeds.get("gru")])
    >>> store.best(task="copy", k=10)             # higher score is better
    []

A database behind this version's schema raises :class:`SchemaOutOfDateError`;
``evolve db upgrade --db URL`` migrates it.
"""

from evolve.store._engine import DEFAULT_URL, ENV_VAR, mask_url, resolve_url
from evolve.store._errors import (
    AlreadyFinishedError,
    AmbiguousKeyError,
    InvalidInputError,
    LeaseLostError,
    NotFoundError,
    SchemaOutOfDate,
    SchemaOutOfDateError,
    StoreError,
    UnknownSchemaError,
)
from evolve.store._migrate import VERSION_TABLE
from evolve.store._store import Store
from evolve.store.records import (
    Added,
    CampaignRecord,
    CampaignStatus,
    EvaluationKey,
    EvaluationRecord,
    EvaluationStatus,
    GenomeRecord,
    Lineage,
    LineageEdge,
    MemberRecord,
    NewEvaluation,
    Origin,
    RankedGenome,
)

__all__ = [
    "DEFAULT_URL",
    "ENV_VAR",
    "VERSION_TABLE",
    "Added",
    "AlreadyFinishedError",
    "AmbiguousKeyError",
    "CampaignRecord",
    "CampaignStatus",
    "EvaluationKey",
    "EvaluationRecord",
    "EvaluationStatus",
    "GenomeRecord",
    "InvalidInputError",
    "LeaseLostError",
    "Lineage",
    "LineageEdge",
    "MemberRecord",
    "NewEvaluation",
    "NotFoundError",
    "Origin",
    "RankedGenome",
    "SchemaOutOfDate",
    "SchemaOutOfDateError",
    "Store",
    "StoreError",
    "UnknownSchemaError",
    "mask_url",
    "resolve_url",
]
